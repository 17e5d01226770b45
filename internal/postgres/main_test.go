package postgres_test

import (
	"os"
	"testing"

	"github.com/relaybook/relaybook/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
