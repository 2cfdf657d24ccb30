// Package guardduty reads GuardDuty findings through the GuardDuty API
// (ListDetectors, ListFindings, GetFindings), for accounts that export
// findings neither to S3 nor through EventBridge and Firehose.
//
// Each poll lists, per region and detector, the ids of the findings
// updated at or after the scope's start, oldest first (criterion updatedAt
// greaterThanOrEqual, in epoch milliseconds; sort updatedAt ASC; pages of
// PageSize, at most 50), then fetches them with GetFindings PageSize at a
// time. The new finding versions of one GetFindings call become one
// object: a JSON array of the findings exactly as GuardDuty sent them.
//
// JSON shape. GetFindings answers with {"findings":[...]} in the same
// lowerCamelCase JSON as the S3 export and the EventBridge detail
// (accountId, updatedAt, resource.instanceDetails,
// service.action.networkConnectionAction, additionalInfo with its spread
// keys, ...). The SDK's Go types would lose some of it (additionalInfo is
// reduced to value and type, unknown members are dropped), so the source
// does not re-serialize them: a middleware in the GetFindings call keeps
// the raw response body, and each element of its findings array is
// passed on byte for byte. Package finding therefore reads an API finding
// as it reads the same finding from an export. When the SDK cannot parse
// a successful response (a member of an unexpected type), the raw body is
// used anyway, so one odd finding cannot stall a scope.
//
// Keys and scopes. One scope per (region, detector),
// "guardduty-api://<region>/<detector>/". An object's key is
// "guardduty-api/<region>/<detector>/<time>/<hash>": <time> is the newest
// updatedAt of the object's findings (never below those of the objects
// listed before it) as 2006-01-02T15:04:05.000Z, <hash> a hash of its
// (id, updatedAt) pairs. Object.Bucket is empty (errors name the key),
// Object.Account is the findings' accountId when they share one. An
// administrator's detector lists its members' findings as well; each
// finding carries its own accountId.
//
// Archived findings are left out (criterion service.archived = false)
// unless IncludeArchived is set: GuardDuty's S3 export leaves them out
// too, so the API source sees what an export would. A finding archived
// after it was read is simply not listed again; one unarchived later is
// listed when it is next updated.
//
// State: the watermark of a scope is the time in its cursor, the greatest
// committed key, so it moves only when objects are committed. Each listing
// starts Overlap (default 5m) before it — on a first run LookBack (default
// 24h) before now, or at OnlyAfter, which is also a floor for every
// listing. So findings that share one updatedAt across page or poll
// boundaries, and findings GuardDuty makes visible up to Overlap late, are
// listed again rather than lost. Key times never pass the moment the id
// listing began: a finding updated during a long poll, even after it was
// fetched, is listed by the next one (this assumes our clock and
// GuardDuty's differ by less than Overlap). If ListFindings pages are
// positions in a sorted list, a finding updated between two pages moves
// to the end and may push another past the page boundary unseen; such a
// move shows as an id listed twice, and the ids are listed again (up to 3
// times; if they keep moving, the poll's key times stay at its start and
// the next poll lists the same window). A finding archived during the
// listing can still push one past a boundary; that one is found only if
// it is within Overlap of the watermark. The done-set floor (DoneFloors)
// is a week below each listing's start.
//
// Delivery: at-least-once. Versions listed again in the overlap are left
// out when this process committed them already (an in-memory set of the
// versions inside the window, filled by Done); after a restart the first
// listing re-forms the same objects from the same start and skips those
// State.IsDone reports, but an object formed differently may repeat some
// versions. The pipeline's finding-update policy (package dedup) takes a
// version no newer than the latest it stored (updatedAt and count) as
// stale, so repeats raise no alert, though the archive may hold the event
// twice. Versions replaced twice
// between polls are never seen: the API keeps only the newest.
//
// Open and Done. Objects are held in memory between List and Done: a
// chunk is at most 50 findings, and List yields only as fast as the
// pipeline takes objects. Done drops the chunk. A chunk not done stays
// through the next listing, so the pipeline's retry of an object in the
// following poll is served. Open of any other object (after a restart)
// fails with source.ErrTransient naming it; until the cursor passes it,
// the listings fetch its findings again under a new key.
//
// Errors and throttling. Calls are paced per region (RequestsPerSecond,
// default 5) and bounded by RequestTimeout; the SDK retries throttling
// (HTTP 429, TooManyRequestsException) and 5xx with backoff. Errors that
// remain — throttling, 5xx, timeouts, resets — are wrapped with
// source.ErrTransient and name the call and scope; access-denied and
// credential errors say so.
//
// Concurrency: all methods are safe for concurrent use; the source starts
// no goroutines. Stop: List returns when ctx ends or when the consumer
// stops; held chunks are memory only.
package guardduty
