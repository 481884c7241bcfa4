package localrun

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// listensOn reports whether process pid holds a listening TCP socket on
// addr's port. A connection to the port is no proof: another process may
// have taken it between freeAddr and the emulator's bind, and answer in the
// emulator's place. Linux only, from /proc.
func listensOn(pid int, addr string) (bool, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return false, err
	}
	inodes, err := listeningInodes(p)
	if err != nil || len(inodes) == 0 {
		return false, err
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		target, err := os.Readlink(fdDir + "/" + fd.Name())
		if err == nil && inodes[target] {
			return true, nil
		}
	}
	return false, nil
}

// listeningInodes names, as /proc/<pid>/fd links do ("socket:[inode]"),
// the IPv4 sockets listening on port.
func listeningInodes(port int) (map[string]bool, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const listen = "0A"
	suffix := fmt.Sprintf(":%04X", port)
	inodes := map[string]bool{}
	lines := bufio.NewScanner(f)
	lines.Scan() // the header
	for lines.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(lines.Text())
		if len(fields) > 9 && strings.HasSuffix(fields[1], suffix) && fields[3] == listen {
			inodes["socket:["+fields[9]+"]"] = true
		}
	}
	return inodes, lines.Err()
}
