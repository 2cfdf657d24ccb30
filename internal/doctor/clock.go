package doctor

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Clock skew limits: SigV4 refuses requests signed more than 15 minutes
// away from the server's time; warn well before.
const (
	skewWarn = 5 * time.Minute
	skewFail = 15 * time.Minute
)

// serverClock keeps the Date header of the first response seen (an error
// response too) and the local time it arrived. It is used by one
// goroutine.
type serverClock struct {
	now    func() time.Time
	server time.Time
	local  time.Time
}

// middleware records the Date header of each attempt's response. It runs
// first in the deserialize step, so it sees the raw response of every
// attempt, answered with an error or not.
func (c *serverClock) middleware(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("DutywatchServerDate",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error,
		) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && c.server.IsZero() {
				if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
					c.server, c.local = t, c.now()
				}
			}
			return out, md, err
		}), middleware.Before)
}

// check compares the server's time with the local time.
func (c *serverClock) check() Check {
	if c.server.IsZero() {
		return Check{Name: "clock", Result: Skip, Detail: "no response with a Date header to compare with"}
	}
	// Date has a one-second resolution: a skew under 2s is noise.
	skew := c.local.Sub(c.server)
	abs := skew.Abs().Truncate(time.Second)
	dir := "ahead of"
	if skew < 0 {
		dir = "behind"
	}
	detail := fmt.Sprintf("local clock %v %s the server's (Date: %s)", abs, dir, c.server.UTC().Format(http.TimeFormat))
	fix := "sync the local clock (chrony, systemd-timesyncd): SigV4 refuses requests signed more than 15m off"
	switch {
	case abs > skewFail:
		return Check{Name: "clock", Result: Fail, Detail: detail, Fix: fix}
	case abs > skewWarn:
		return Check{Name: "clock", Result: Warn, Detail: detail, Fix: fix}
	case abs < 2*time.Second:
		detail = "local clock agrees with the server's (Date: " + c.server.UTC().Format(http.TimeFormat) + ")"
	}
	return Check{Name: "clock", Result: OK, Detail: detail}
}
