package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// dataSync flushes f's data and the metadata needed to read it back (its size), not its times:
// on Linux fdatasync, which spares the file system a journal commit for the modification time.
func dataSync(f *os.File) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := conn.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); !errors.Is(serr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return serr
}
