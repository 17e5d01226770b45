package delivery

import (
	"testing"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestResultClass(t *testing.T) {
	for _, c := range []struct {
		res  Result
		want string
	}{
		{Result{Status: 200}, relaybook.ResultSuccess},
		{Result{Status: 204, Err: "reading response: unexpected EOF"}, relaybook.ResultSuccess},
		{Result{Status: 301, Err: "redirect not followed (https://x)"}, relaybook.ResultHTTP3xx},
		{Result{Status: 410}, relaybook.ResultHTTP4xx},
		{Result{Status: 503}, relaybook.ResultHTTP5xx},
		{Result{Err: "timeout: no response in time"}, relaybook.ResultTimeout},
		{Result{Err: "refused: 127.0.0.1 is a loopback address"}, relaybook.ResultRefused},
		{Result{Err: "network error: dial connection refused"}, relaybook.ResultNetwork},
		{Result{Err: "network error: could not resolve host nope.invalid"}, relaybook.ResultNetwork},
	} {
		if got := ResultClass(c.res); got != c.want {
			t.Errorf("ResultClass(%+v) = %s, want %s", c.res, got, c.want)
		}
	}
}
