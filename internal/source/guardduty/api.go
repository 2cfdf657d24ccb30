package guardduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	gd "github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/awserr"
)

// api is the part of the GuardDuty API the source uses; *gd.Client has it.
type api interface {
	ListDetectors(ctx context.Context, in *gd.ListDetectorsInput, opts ...func(*gd.Options)) (*gd.ListDetectorsOutput, error)
	ListFindings(ctx context.Context, in *gd.ListFindingsInput, opts ...func(*gd.Options)) (*gd.ListFindingsOutput, error)
	GetFindings(ctx context.Context, in *gd.GetFindingsInput, opts ...func(*gd.Options)) (*gd.GetFindingsOutput, error)
}

var _ api = (*gd.Client)(nil)

// region is one region's client and pacer.
type region struct {
	name  string
	api   api
	pacer *pacer
}

// detectors returns the region's detector ids: cfg.DetectorIDs, or every
// page of ListDetectors.
func (s *Source) detectors(ctx context.Context, r *region) ([]string, error) {
	if len(s.cfg.DetectorIDs) > 0 {
		return s.cfg.DetectorIDs, nil
	}
	var ids []string
	in := &gd.ListDetectorsInput{}
	for {
		var out *gd.ListDetectorsOutput
		err := s.call(ctx, r, func(ctx context.Context) (err error) {
			out, err = r.api.ListDetectors(ctx, in)
			return err
		})
		if err != nil {
			return nil, wrapError("list detectors in "+r.name, err)
		}
		for _, id := range out.DetectorIds {
			if !validName(id) {
				s.log.WarnContext(ctx, "skip a detector id unfit for a key", "region", r.name, "detector", id)
				continue
			}
			ids = append(ids, id)
		}
		if aws.ToString(out.NextToken) == "" {
			return ids, nil
		}
		in.NextToken = out.NextToken
	}
}

// listFindings returns one page of the ids of findings updated at or
// after startMillis, oldest first.
func (s *Source) listFindings(ctx context.Context, r *region, detector string, startMillis int64, token *string) (*gd.ListFindingsOutput, error) {
	criterion := map[string]types.Condition{
		"updatedAt": {GreaterThanOrEqual: aws.Int64(startMillis)},
	}
	if !s.cfg.IncludeArchived {
		criterion["service.archived"] = types.Condition{Equals: []string{"false"}}
	}
	in := &gd.ListFindingsInput{
		DetectorId:      aws.String(detector),
		FindingCriteria: &types.FindingCriteria{Criterion: criterion},
		SortCriteria:    &types.SortCriteria{AttributeName: aws.String("updatedAt"), OrderBy: types.OrderByAsc},
		MaxResults:      aws.Int32(int32(s.cfg.PageSize)),
		NextToken:       token,
	}
	var out *gd.ListFindingsOutput
	err := s.call(ctx, r, func(ctx context.Context) (err error) {
		out, err = r.api.ListFindings(ctx, in)
		return err
	})
	if err != nil {
		return nil, wrapError("list findings of "+scopeName(r.name, detector), err)
	}
	return out, nil
}

// maxResponseBytes bounds one GetFindings response (50 findings).
const maxResponseBytes = 64 << 20

// getFindings returns the findings with ids exactly as GuardDuty sent
// them: the elements of the raw response's "findings" array. The SDK
// parses the response too (for its errors and retries); when only that
// parse fails on a successful response — a field of an unexpected type —
// the raw findings are still returned, so one odd finding cannot stall the
// scope.
func (s *Source) getFindings(ctx context.Context, r *region, detector string, ids []string) ([]json.RawMessage, error) {
	in := &gd.GetFindingsInput{DetectorId: aws.String(detector), FindingIds: ids}
	var capture rawBody
	err := s.call(ctx, r, func(ctx context.Context) error {
		_, err := r.api.GetFindings(ctx, in, capture.option)
		return err
	})
	var de *smithy.DeserializationError
	if err != nil && !(capture.ok && errors.As(err, &de)) {
		return nil, wrapError("get findings of "+scopeName(r.name, detector), err)
	}
	if err != nil {
		s.log.WarnContext(ctx, "the SDK could not parse a GetFindings response; using it as sent", "scope", scopeName(r.name, detector), "err", err)
	}
	if !capture.ok {
		return nil, fmt.Errorf("get findings of %s: no response body captured", scopeName(r.name, detector))
	}
	findings, err := findingsOf(capture.body)
	if err != nil {
		return nil, fmt.Errorf("get findings of %s: %w", scopeName(r.name, detector), err)
	}
	return findings, nil
}

// findingsOf returns the elements of the "findings" array of a GetFindings
// response body, each as sent.
func findingsOf(body []byte) ([]json.RawMessage, error) {
	var resp struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	for i, f := range resp.Findings {
		f = bytes.TrimSpace(f)
		if len(f) == 0 || f[0] != '{' {
			return nil, fmt.Errorf("read response: finding %d is not an object", i)
		}
		resp.Findings[i] = f
	}
	return resp.Findings, nil
}

// call runs fn paced and bounded by RequestTimeout.
func (s *Source) call(ctx context.Context, r *region, fn func(context.Context) error) error {
	if err := r.pacer.wait(ctx); err != nil {
		return err
	}
	s.calls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	return fn(ctx)
}

// rawBody keeps the body of a call's successful response. Each call has
// its own, installed by option.
type rawBody struct {
	body []byte
	ok   bool
}

// option installs the capture in one call's middleware stack, right
// inside the SDK's deserializer: it sees every attempt's raw response.
func (c *rawBody) option(o *gd.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Insert(c, "OperationDeserializer", middleware.After)
	})
}

// ID names the middleware.
func (c *rawBody) ID() string { return "DutywatchRawBody" }

// HandleDeserialize reads a 2xx body, keeps it and gives the SDK a copy.
func (c *rawBody) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, md, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	resp.Body.Close()
	if err != nil {
		return out, md, fmt.Errorf("read response body: %w", err)
	}
	if len(body) > maxResponseBytes {
		return out, md, fmt.Errorf("response body over %d bytes", maxResponseBytes)
	}
	c.body, c.ok = body, true
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return out, md, nil
}

// wrapError names the operation, marks errors worth retrying later with
// source.ErrTransient, and names the usual permanent causes.
func wrapError(op string, err error) error {
	if isTransient(err) {
		return fmt.Errorf("%s: %w: %w", op, source.ErrTransient, err)
	}
	if h := hint(err); h != "" {
		return fmt.Errorf("%s: %s: %w", op, h, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// transientCodes are GuardDuty error codes that clear up by themselves.
var transientCodes = map[string]bool{
	"TooManyRequestsException":     true,
	"ThrottlingException":          true,
	"InternalServerErrorException": true,
	"ServiceUnavailableException":  true,
}

// isTransient reports whether err is worth retrying later: what
// awserr.Transient says, and any 429 or 5xx answer.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && (status.HTTPStatusCode() == 429 || status.HTTPStatusCode() >= 500) {
		return true
	}
	return awserr.Transient(err, transientCodes)
}

// hint names the usual permanent causes of a GuardDuty error, or "".
func hint(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch code := apiErr.ErrorCode(); {
	case code == "AccessDeniedException":
		return "access denied: the role needs guardduty:ListDetectors, guardduty:ListFindings and guardduty:GetFindings"
	case code == "UnrecognizedClientException", code == "InvalidSignatureException", code == "SignatureDoesNotMatch":
		return "credentials rejected"
	case code == "ExpiredTokenException", code == "ExpiredToken":
		return "credentials rejected: session token expired"
	case code == "BadRequestException" && strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "detector"):
		return "no such detector in this region"
	}
	return ""
}
