package sqsq

// ParseMaxReceiveCount exposes parseMaxReceiveCount to the tests.
var ParseMaxReceiveCount = parseMaxReceiveCount
