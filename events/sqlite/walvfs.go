package sqlite

// walvfs.go registers "infrahub-waljoin", a VFS that wraps SQLite's default one and changes a
// single thing: for a WAL file, the 24-byte frame header and the page that follows it are
// written with one write call instead of two. SQLite's walWriteOneFrame writes each frame as
// two writes (header, then page), so the writer connection, the store's serial resource, paid
// two pwrite64 system calls per page of every commit.
//
// Why this is safe: the header write is held (copied, not written) and returns SQLITE_OK;
// the page write that SQLite issues right after it, at the next offset, writes header and
// page together before it returns. Any other call on the file (another write, read, sync,
// truncate, size, file control, close) first writes a held header, so the file is exactly
// what the default VFS would have written whenever SQLite looks at it. Readers cannot see the
// frame earlier either way: they find frames through the wal-index, which SQLite updates only
// after all frames of the commit are written. A crash that loses a held header is the same as
// a crash just before SQLite's own header write; a torn joined write is caught, as before, by
// the frame checksums and salts on recovery. Locking, shared memory, sync and every other
// method are the default VFS's, unchanged.

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
	base       uintptr // the default VFS's io methods of this file
	buf        uintptr // joined header+page buffer (sqlite3_malloc), bufCap bytes
	heldOffset int64   // file offset of the held header
	end        int64   // end of what this file wrote since its last write at offset 0
	bufCap     int32
	held       int32 // 1 while hdr holds a header not yet written
	hdr        [walFrameHeaderSize]byte
}

var (
	walJoinOnce    sync.Once
	walJoinOK      bool
	walJoinVFS     sqlite3.Tsqlite3_vfs        // our VFS: a copy of the default one, xOpen replaced
	walJoinBaseVFS uintptr                     // the default VFS
	walJoinStateAt uintptr                     // offset of walJoinState in a file object
	walJoinMethods sqlite3.Tsqlite3_io_methods // base io methods with the data methods wrapped
	walJoinBaseIO  uintptr                     // the io methods walJoinMethods was copied from

	// walJoinedWrites counts header+page pairs written with one call; tests read it.
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

// walJoinFlush writes a held header on its own, as the default VFS would have.
func walJoinFlush(tls *libc.TLS, pFile uintptr) int32 {
	st := walJoinStateOf(pFile)
	if st.held == 0 {
		return sqlite3.SQLITE_OK
	}
	st.held = 0
	return callWrite(tls, baseIO(pFile).FxWrite, pFile, uintptr(unsafe.Pointer(&st.hdr[0])), walFrameHeaderSize, st.heldOffset)
}

func walJoinWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	st := walJoinStateOf(pFile)
	write := baseIO(pFile).FxWrite
	if st.held != 0 {
		if iOfst == st.heldOffset+walFrameHeaderSize && iAmt > 0 && walJoinGrow(tls, st, walFrameHeaderSize+iAmt) {
			st.held = 0
			copy((*[walFrameHeaderSize]byte)(cmem(st.buf))[:], st.hdr[:])
			copy(unsafe.Slice((*byte)(cmem(st.buf+walFrameHeaderSize)), iAmt), unsafe.Slice((*byte)(cmem(zBuf)), iAmt))
			walJoinedWrites.Add(1)
			walJoinWrote(st, walFrameHeaderSize+iAmt, st.heldOffset)
			return callWrite(tls, write, pFile, st.buf, walFrameHeaderSize+iAmt, st.heldOffset)
		}
		if rc := walJoinFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if iAmt == walFrameHeaderSize && iOfst >= walHeaderSize && iOfst >= st.end {
		// The header of a frame appended past everything written since the WAL header: hold
		// it for its page, which SQLite writes next. A 24-byte write inside what was already
		// written is a checksum rewrite (walRewriteChecksums) that no page follows, possibly
		// the last write of a commit, and goes to the file now.
		st.hdr = *(*[walFrameHeaderSize]byte)(cmem(zBuf))
		st.heldOffset = iOfst
		st.held = 1
		st.end = iOfst + walFrameHeaderSize
		return sqlite3.SQLITE_OK
	}
	if iAmt == walFrameHeaderSize {
		walJoinHeaderRewrites.Add(1)
	}
	walJoinWrote(st, iAmt, iOfst)
	return callWrite(tls, write, pFile, zBuf, iAmt, iOfst)
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

// walJoinGrow makes st.buf hold n bytes; false (no memory) falls back to two writes.
func walJoinGrow(tls *libc.TLS, st *walJoinState, n int32) bool {
	if st.bufCap >= n {
		return true
	}
	p := sqlite3.Xsqlite3_realloc64(tls, st.buf, uint64(n))
	if p == 0 {
		return false
	}
	st.buf, st.bufCap = p, n
	return true
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
