package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server on 127.0.0.1 for tests: EHLO with
// STARTTLS and AUTH PLAIN when configured, MAIL, RCPT, DATA, RSET, QUIT.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config // offers STARTTLS when set
	implicit bool        // TLS from the first byte
	user     string      // offers AUTH PLAIN when set
	pass     string
	silent   bool // never greets

	wg sync.WaitGroup
	// mu guards the fields below.
	mu          sync.Mutex
	conns       []net.Conn
	rcptReply   string   // "" means 250
	dataReplies []string // replies to the end of DATA, in order; then 250
	msgs        []smtpMsg
}

type smtpMsg struct {
	from     string
	to       []string
	data     string
	tls      bool
	authUser string
}

// testCert is a self-signed certificate for 127.0.0.1 and its PEM file.
type testCert struct {
	cert    tls.Certificate
	pemPath string
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dutywatch test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return testCert{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemPath: path}
}

// start listens on 127.0.0.1 and serves until the test ends.
func (s *smtpServer) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	s.wg.Go(s.accept)
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

func (s *smtpServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(c) })
	}
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	if s.silent {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	tp := textproto.NewConn(c)
	st := &smtpSession{s: s, msg: smtpMsg{tls: s.implicit}}
	_ = tp.PrintfLine("220 127.0.0.1 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "STARTTLS":
			if s.tls == nil || st.msg.tls {
				_ = tp.PrintfLine("502 5.5.1 no")
				continue
			}
			_ = tp.PrintfLine("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, tp = tc, textproto.NewConn(tc)
			st.msg.tls = true
		case "QUIT":
			_ = tp.PrintfLine("221 2.0.0 bye")
			return
		default:
			if !st.command(tp, strings.ToUpper(verb), arg) {
				return
			}
		}
	}
}

type smtpSession struct {
	s   *smtpServer
	msg smtpMsg
}

// command answers one command; false ends the connection.
func (st *smtpSession) command(tp *textproto.Conn, verb, arg string) bool {
	s := st.s
	switch verb {
	case "EHLO", "HELO":
		ext := []string{"127.0.0.1 hello", "8BITMIME"}
		if s.tls != nil && !st.msg.tls {
			ext = append(ext, "STARTTLS")
		}
		if s.user != "" {
			ext = append(ext, "AUTH PLAIN")
		}
		for i, e := range ext {
			sep := "-"
			if i == len(ext)-1 {
				sep = " "
			}
			_ = tp.PrintfLine("250%s%s", sep, e)
		}
	case "AUTH":
		mech, resp, _ := strings.Cut(arg, " ")
		b, err := base64.StdEncoding.DecodeString(resp)
		parts := strings.Split(string(b), "\x00")
		if mech != "PLAIN" || err != nil || len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
			_ = tp.PrintfLine("535 5.7.8 authentication failed")
			return true
		}
		st.msg.authUser = parts[1]
		_ = tp.PrintfLine("235 2.7.0 ok")
	case "MAIL":
		from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ") // drop BODY=8BITMIME
		st.msg.from = from
		_ = tp.PrintfLine("250 2.1.0 ok")
	case "RCPT":
		s.mu.Lock()
		r := s.rcptReply
		s.mu.Unlock()
		if r != "" {
			_ = tp.PrintfLine("%s", r)
			return true
		}
		st.msg.to = append(st.msg.to, strings.TrimPrefix(arg, "TO:"))
		_ = tp.PrintfLine("250 2.1.5 ok")
	case "DATA":
		_ = tp.PrintfLine("354 go on")
		data, err := io.ReadAll(tp.DotReader())
		if err != nil {
			return false
		}
		s.mu.Lock()
		reply := "250 2.0.0 queued"
		if len(s.dataReplies) > 0 {
			reply, s.dataReplies = s.dataReplies[0], s.dataReplies[1:]
		}
		if strings.HasPrefix(reply, "250") {
			m := st.msg
			m.data = string(data)
			s.msgs = append(s.msgs, m)
		}
		s.mu.Unlock()
		_ = tp.PrintfLine("%s", reply)
	case "RSET", "NOOP":
		_ = tp.PrintfLine("250 2.0.0 ok")
	default:
		_ = tp.PrintfLine("502 5.5.2 unknown command")
	}
	return true
}
