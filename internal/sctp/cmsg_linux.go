//go:build linux && !386

package sctp

import (
	"encoding/binary"
	"fmt"
	"syscall"

	lib "github.com/ishidawataru/sctp"
)

// cmsghdr is {size_t len; int level; int type}: the length field is as wide
// as a pointer.
const cmsgLenSize = syscall.SizeofCmsghdr - 8

// parseRcvCmsgs fills info from the SCTP_SNDRCV or SCTP_RCVINFO control
// message in oob and reports whether one was found. Other control messages
// are skipped; a malformed buffer is an error.
func parseRcvCmsgs(oob []byte, info *RcvInfo) (bool, error) {
	found := false
	for len(oob) >= syscall.SizeofCmsghdr {
		var l uint64
		if cmsgLenSize == 8 {
			l = ne.Uint64(oob)
		} else {
			l = uint64(ne.Uint32(oob))
		}
		level := int32(ne.Uint32(oob[cmsgLenSize:]))
		typ := int32(ne.Uint32(oob[cmsgLenSize+4:]))
		if l < syscall.SizeofCmsghdr || l > uint64(len(oob)) {
			return found, fmt.Errorf("sctp: control message length %d of %d bytes", l, len(oob))
		}
		data := oob[syscall.CmsgLen(0):l]
		if level == syscall.IPPROTO_SCTP {
			switch typ {
			case lib.SCTP_CMSG_SNDRCV:
				if len(data) < sndrcvinfoLen {
					return found, fmt.Errorf("sctp: SCTP_SNDRCV of %d bytes", len(data))
				}
				*info = decodeSndRcvInfo(data)
				found = true
			case lib.SCTP_CMSG_RCVINFO:
				if len(data) < rcvinfoLen {
					return found, fmt.Errorf("sctp: SCTP_RCVINFO of %d bytes", len(data))
				}
				*info = decodeRcvInfo(data)
				found = true
			}
		}
		next := syscall.CmsgSpace(int(l) - syscall.CmsgLen(0))
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return found, nil
}

// appendCmsgHeader appends a cmsghdr for dataLen bytes of data.
func appendCmsgHeader(b []byte, typ int32, dataLen int) []byte {
	var h [syscall.SizeofCmsghdr]byte
	if cmsgLenSize == 8 {
		ne.PutUint64(h[:], uint64(syscall.CmsgLen(dataLen)))
	} else {
		ne.PutUint32(h[:], uint32(syscall.CmsgLen(dataLen)))
	}
	ne.PutUint32(h[cmsgLenSize:], syscall.IPPROTO_SCTP)
	ne.PutUint32(h[cmsgLenSize+4:], uint32(typ))
	b = append(b, h[:]...)
	// CmsgLen(0) may exceed the header size on some ABIs.
	for i := syscall.SizeofCmsghdr; i < syscall.CmsgLen(0); i++ {
		b = append(b, 0)
	}
	return b
}

// appendPadding pads a control message of dataLen bytes to CmsgSpace.
func appendPadding(b []byte, dataLen int) []byte {
	for i := syscall.CmsgLen(dataLen); i < syscall.CmsgSpace(dataLen); i++ {
		b = append(b, 0)
	}
	return b
}

// appendSndInfo appends an SCTP_SNDINFO control message.
func appendSndInfo(b []byte, assoc AssocID, info SendInfo, flags uint16) []byte {
	b = appendCmsgHeader(b, lib.SCTP_CMSG_SNDINFO, sndinfoLen)
	var d [sndinfoLen]byte
	ne.PutUint16(d[0:], info.Stream)
	ne.PutUint16(d[2:], info.Flags|flags)
	binary.BigEndian.PutUint32(d[4:], info.PPID)
	ne.PutUint32(d[8:], info.Context)
	ne.PutUint32(d[12:], uint32(int32(assoc)))
	b = append(b, d[:]...)
	return appendPadding(b, sndinfoLen)
}

// Destination address control messages (enum sctp_cmsg_type after
// SCTP_AUTHINFO); the library does not define them.
const (
	cmsgDstAddrV4 = 7
	cmsgDstAddrV6 = 8
)

// appendDstAddr appends an SCTP_DSTADDRV4/V6 control message: an additional
// peer address for an association set up implicitly by this send.
func appendDstAddr(b []byte, sa []byte) []byte {
	switch len(sa) {
	case sockaddrInLen:
		b = appendCmsgHeader(b, cmsgDstAddrV4, 4)
		b = append(b, sa[4:8]...)
		return appendPadding(b, 4)
	case sockaddrIn6Len:
		b = appendCmsgHeader(b, cmsgDstAddrV6, 16)
		b = append(b, sa[8:24]...)
		return appendPadding(b, 16)
	}
	return b
}
