package sqlite

// walvfs.go registers "infrahub-waljoin", a VFS that wraps SQLite's default one and changes a
// single thing: the frames a commit appends to a WAL file reach the file with one write call
// (or a few, for a commit over walJoinMaxWrite bytes) instead of two per frame. SQLite's
// walWriteOneFrame writes each frame as two writes (the 24-byte header, then the page), so the
// writer connection, the store's serial resource, paid two pwrite64 system calls for every
// page of every commit.
//
// Why this is safe: the appended frames are copied, not written, and the write of the commit
// frame's page writes them all before it returns, so when SQLite publishes the commit in the
// wal-index (after that write) and when the store answers the appends (after the syncer's
// fdatasync), the WAL file holds exactly what the default VFS would have written. Any other
// call on the file (a write elsewhere, read, sync, truncate, size, file control, close)
// writes held frames first. A crash that loses held frames is a crash before SQLite's own
// writes of them; a torn write is caught, as before, by the frame checksums and salts on
// recovery. Locking, shared memory, sync and every other method are the default VFS's.

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

const (
	walJoinVFSName = "infrahub-waljoin"
	// walFrameHeaderSize and walHeaderSize are WAL_FRAME_HDRSIZE and WAL_HDRSIZE of wal.c.
	walFrameHeaderSize = 24
	walHeaderSize      = 32
)

// walJoinState follows the default VFS's own file object inside the sqlite3_file memory that
// SQLite allocates (szOsFile bytes, zeroed), so it lives in C memory that does not move.
type walJoinState struct {
	base      uintptr // the default VFS's io methods of this file
	buf       uintptr // held frames (sqlite3_malloc), bufCap bytes, heldLen of them in use
	bufCap    int64
	heldStart int64 // file offset of buf[0]
	heldLen   int64 // 0: nothing held
	end       int64 // end of what this file wrote or holds since its last write at offset 0
	awaitPage int32 // 1 when buf ends with a frame header whose page has not come yet
	page      int32 // size of the last page held
	commit    int32 // 1 when that header marks the commit frame of a transaction
}

// walJoinMaxWrite bounds one write: the unix VFS's seekAndWriteFd masks its length with
// 0x1ffff (a longer write would be cut short and reported as SQLITE_FULL), so a transaction
// larger than that is written in pieces of whole frames.
const walJoinMaxWrite = 0x1ffff

var (
	walJoinOnce    sync.Once
	walJoinOK      bool
	walJoinVFS     sqlite3.Tsqlite3_vfs        // our VFS: a copy of the default one, xOpen replaced
	walJoinBaseVFS uintptr                     // the default VFS
	walJoinStateAt uintptr                     // offset of walJoinState in a file object
	walJoinMethods sqlite3.Tsqlite3_io_methods // base io methods with the data methods wrapped
	walJoinBaseIO  uintptr                     // the io methods walJoinMethods was copied from

	// walJoinedWrites counts frames (header and page) held and written with others; tests read it.
	walJoinedWrites atomic.Int64
	// walJoinHeaderRewrites counts 24-byte writes inside written data, not held; tests read it.
	walJoinHeaderRewrites atomic.Int64
)

// registerWALJoinVFS registers the VFS once per process and reports whether it is available;
// if not, the store opens its writer with the default VFS.
func registerWALJoinVFS() bool {
	walJoinOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		base := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if base == 0 {
			return
		}
		walJoinBaseVFS = base
		bv := (*sqlite3.Tsqlite3_vfs)(cmem(base))
		walJoinVFS = *bv
		walJoinVFS.FpNext = 0
		name, err := libc.CString(walJoinVFSName)
		if err != nil {
			return
		}
		walJoinVFS.FzName = name
		walJoinStateAt = (uintptr(bv.FszOsFile) + 7) &^ 7
		walJoinVFS.FszOsFile = int32(walJoinStateAt + unsafe.Sizeof(walJoinState{}))
		*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&walJoinVFS.FxOpen)) = walJoinOpen
		if sqlite3.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(&walJoinVFS)), 0) != sqlite3.SQLITE_OK {
			return
		}
		walJoinOK = true
	})
	return walJoinOK
}

// cmem turns the address of C memory (allocated by SQLite, never by Go) into a pointer. It
// reads the uintptr through memory rather than converting it, the form go vet accepts for
// addresses the Go garbage collector does not manage.
func cmem(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}

func walJoinStateOf(pFile uintptr) *walJoinState {
	return (*walJoinState)(cmem(pFile + walJoinStateAt))
}

// walJoinOpen opens the file with the default VFS and, for a WAL file, swaps in the wrapped
// io methods. Every other file keeps the default VFS's methods.
func walJoinOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	bv := (*sqlite3.Tsqlite3_vfs)(cmem(walJoinBaseVFS))
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{bv.FxOpen})))(tls, walJoinBaseVFS, zName, pFile, flags, pOutFlags)
	f := (*sqlite3.Tsqlite3_file)(cmem(pFile))
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 || f.FpMethods == 0 {
		return rc
	}
	if !walJoinMethodsFor(f.FpMethods) {
		return rc // a method table we did not wrap: leave the file to the default VFS
	}
	*walJoinStateOf(pFile) = walJoinState{base: f.FpMethods}
	f.FpMethods = uintptr(unsafe.Pointer(&walJoinMethods))
	return rc
}

var walJoinMethodsMu sync.Mutex

// walJoinMethodsFor builds walJoinMethods from the first WAL file's io methods and reports
// whether base is the table it was built from.
func walJoinMethodsFor(base uintptr) bool {
	walJoinMethodsMu.Lock()
	defer walJoinMethodsMu.Unlock()
	if walJoinBaseIO == 0 {
		walJoinMethods = *(*sqlite3.Tsqlite3_io_methods)(cmem(base))
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&walJoinMethods.FxClose)) = walJoinClose
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&walJoinMethods.FxRead)) = walJoinRead
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&walJoinMethods.FxWrite)) = walJoinWrite
		*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&walJoinMethods.FxTruncate)) = walJoinTruncate
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&walJoinMethods.FxSync)) = walJoinSync
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&walJoinMethods.FxFileSize)) = walJoinFileSize
		*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&walJoinMethods.FxFileControl)) = walJoinFileControl
		walJoinBaseIO = base
	}
	return walJoinBaseIO == base
}

func baseIO(pFile uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(cmem(walJoinStateOf(pFile).base))
}

func callWrite(tls *libc.TLS, fn, pFile, buf uintptr, amt int32, off int64) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{fn})))(tls, pFile, buf, amt, off)
}

// walJoinFlush writes the held frames with one write.
func walJoinFlush(tls *libc.TLS, pFile uintptr) int32 {
	st := walJoinStateOf(pFile)
	if st.heldLen == 0 {
		return sqlite3.SQLITE_OK
	}
	n := st.heldLen
	st.heldLen, st.awaitPage, st.commit = 0, 0, 0
	return callWrite(tls, baseIO(pFile).FxWrite, pFile, st.buf, int32(n), st.heldStart)
}

// walJoinHold appends a write to the held frames, false if out of memory.
func walJoinHold(tls *libc.TLS, st *walJoinState, zBuf uintptr, iAmt int32) bool {
	if need := st.heldLen + int64(iAmt); need > st.bufCap {
		c := min(max(need, 2*st.bufCap), walJoinMaxWrite)
		p := sqlite3.Xsqlite3_realloc64(tls, st.buf, uint64(c))
		if p == 0 {
			return false
		}
		st.buf, st.bufCap = p, c
	}
	copy(unsafe.Slice((*byte)(cmem(st.buf+uintptr(st.heldLen))), iAmt), unsafe.Slice((*byte)(cmem(zBuf)), iAmt))
	st.heldLen += int64(iAmt)
	st.end = max(st.end, st.heldStart+st.heldLen)
	return true
}

// walJoinWrite holds the frames SQLite appends to the WAL (walWriteOneFrame: a 24-byte header,
// then the page right after it) and writes them with one call when the commit frame's page
// arrives (its header has a non-zero "database size after commit"), when anything else is
// done with the file, or when one more frame would not fit in walJoinMaxWrite. So a commit
// returns only once all its frames are on the file, as with the default VFS. Frames of a
// transaction not yet committed (a spill of the page cache) may stay held across calls: no
// other connection reads them (they lie past the committed end that the wal-index publishes),
// and this connection reads them through xRead, which writes them first.
func walJoinWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	st := walJoinStateOf(pFile)
	if st.heldLen > 0 && iOfst == st.heldStart+st.heldLen {
		switch {
		case st.awaitPage == 1 && iAmt > walFrameHeaderSize && st.heldLen+int64(iAmt) <= walJoinMaxWrite:
			if walJoinHold(tls, st, zBuf, iAmt) {
				st.awaitPage, st.page = 0, iAmt
				walJoinedWrites.Add(1)
				if st.commit == 1 {
					return walJoinFlush(tls, pFile)
				}
				return sqlite3.SQLITE_OK
			}
		case st.awaitPage == 0 && iAmt == walFrameHeaderSize && st.heldLen+walFrameHeaderSize+int64(st.page) <= walJoinMaxWrite:
			if walJoinHold(tls, st, zBuf, iAmt) {
				walJoinHeld(st, zBuf)
				return sqlite3.SQLITE_OK
			}
		}
	}
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if iAmt == walFrameHeaderSize && iOfst >= walHeaderSize && iOfst >= st.end {
		// The header of a frame appended past everything written since the WAL header. A
		// 24-byte write inside what was already written is a checksum rewrite
		// (walRewriteChecksums) that no page follows, possibly the last write of a commit,
		// and goes to the file now.
		st.heldStart = iOfst
		if walJoinHold(tls, st, zBuf, iAmt) {
			walJoinHeld(st, zBuf)
			return sqlite3.SQLITE_OK
		}
	}
	if iAmt == walFrameHeaderSize {
		walJoinHeaderRewrites.Add(1)
	}
	walJoinWrote(st, iAmt, iOfst)
	return callWrite(tls, baseIO(pFile).FxWrite, pFile, zBuf, iAmt, iOfst)
}

// walJoinHeld notes that the held frames end with the frame header at zBuf. Bytes 4..7 of a
// WAL frame header are the database size after a commit, 0 in other frames.
func walJoinHeld(st *walJoinState, zBuf uintptr) {
	h := (*[walFrameHeaderSize]byte)(cmem(zBuf))
	st.awaitPage = 1
	st.commit = 0
	if h[4]|h[5]|h[6]|h[7] != 0 {
		st.commit = 1
	}
}

// walJoinWrote moves st.end past a write. A write at offset 0 is the WAL header of a new WAL
// generation (SQLite restarts the log from its start after a checkpoint), whose frames are
// written again from the header on.
func walJoinWrote(st *walJoinState, amt int32, off int64) {
	if off == 0 {
		st.end = int64(amt)
	} else {
		st.end = max(st.end, off+int64(amt))
	}
}

func walJoinClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := walJoinFlush(tls, pFile)
	st := walJoinStateOf(pFile)
	if st.buf != 0 {
		sqlite3.Xsqlite3_free(tls, st.buf)
		st.buf, st.bufCap = 0, 0
	}
	crc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxClose})))(tls, pFile)
	if rc != sqlite3.SQLITE_OK {
		return rc
	}
	return crc
}

func walJoinRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxRead})))(tls, pFile, zBuf, iAmt, iOfst)
}

func walJoinTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	st := walJoinStateOf(pFile)
	st.end = min(st.end, size)
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxTruncate})))(tls, pFile, size)
}

func walJoinSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxSync})))(tls, pFile, flags)
}

func walJoinFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxFileSize})))(tls, pFile, pSize)
}

func walJoinFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{baseIO(pFile).FxFileControl})))(tls, pFile, op, pArg)
}
