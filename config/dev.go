package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// DevFile returns a configuration for local development: fresh random
// secrets, and http:// and private-network webhook targets allowed so a
// receiver on localhost works. It is never a production configuration.
func DevFile() ([]byte, error) {
	jwt, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	key, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, `# Local development configuration written by "relaybook init".
# It holds fresh random secrets: keep it out of version control (it is
# git-ignored). See relaybook.example.yaml for every key.
auth:
  jwt_secret: %s
security:
  encryption_key: %s
webhooks:
  # Development only: accept http:// URLs and loopback/private targets.
  allow_http: true
  allow_private_networks: true
`, jwt, key), nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
