package sqsq

// ParseMaxReceiveCount exposes parseMaxReceiveCount to the tests.
var ParseMaxReceiveCount = parseMaxReceiveCount

// DecodePlain exposes decodePlain, so that the tests can tell which decoder
// answered.
var DecodePlain = decodePlain
