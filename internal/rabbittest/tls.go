package rabbittest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TLS is a TLS listener of the local RabbitMQ with certificates made for one
// test.
type TLS struct {
	Port int
	// CAFile signed the server's and the client's certificates; OtherCAFile
	// signed nothing the broker trusts.
	CAFile, OtherCAFile string
	CertFile, KeyFile   string // the client's, signed by CAFile
}

// TLSListener adds an amqps listener on 127.0.0.1 to the running broker, with a
// server certificate (for 127.0.0.1 and localhost) from a CA generated for the
// test, requiring client certificates from the same CA; it is removed when the
// test ends. The broker must run as root's neighbour on this machine (it reads
// the files the test writes).
func TLSListener(t testing.TB) *TLS {
	t.Helper()
	dir, err := os.MkdirTemp("", "rabbit-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ca, caKey := makeCert(t, dir, "ca", nil, nil, true)
	other, _ := makeCert(t, dir, "other-ca", nil, nil, true)
	_ = other
	makeCert(t, dir, "server", ca, caKey, false)
	makeCert(t, dir, "client", ca, caKey, false)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := func(name string) string { return strconv.Quote(filepath.Join(dir, name)) }
	Ctl(t, "eval", fmt.Sprintf(`rabbit_networking:start_ssl_listener({"127.0.0.1", %d}, [{cacertfile, %s}, {certfile, %s}, {keyfile, %s}, {verify, verify_peer}, {fail_if_no_peer_cert, true}, {versions, ['tlsv1.2', 'tlsv1.3']}], 1, 1).`,
		port, p("ca.pem"), p("server.pem"), p("server.key")))
	t.Cleanup(func() {
		Ctl(t, "eval", fmt.Sprintf(`rabbit_networking:stop_tcp_listener({"127.0.0.1", %d}).`, port))
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the TLS listener on port %d does not accept connections: %v", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &TLS{Port: port, CAFile: filepath.Join(dir, "ca.pem"), OtherCAFile: filepath.Join(dir, "other-ca.pem"),
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client.key")}
}

// makeCert writes name.pem and name.key, signed by parent (self-signed when nil).
func makeCert(t testing.TB, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	// The broker runs as another user: the key must be readable by it.
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}
