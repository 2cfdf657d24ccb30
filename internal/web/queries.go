package web

import (
	"context"

	"github.com/dutywatch/dutywatch/internal/store"
)

// Queries is what the dashboard reads: the store's read-only views.
// *store.Store satisfies it.
type Queries interface {
	Overview(ctx context.Context, r store.TimeRange, top int) (store.Overview, error)
	BruteForce(ctx context.Context, r store.TimeRange, limit int) (store.BruteForce, error)
	UnusualNetwork(ctx context.Context, r store.TimeRange, limit int) (store.UnusualNetwork, error)
	InstanceStory(ctx context.Context, instanceID string, r store.TimeRange) (store.InstanceStory, error)
	Alerts(ctx context.Context, f store.AlertFilter) (store.AlertPage, error)
	Alert(ctx context.Context, id string) (store.Alert, bool, error)
	Health(ctx context.Context) ([]store.SourceHealth, error)
	Instances(ctx context.Context, r store.TimeRange, limit int) ([]store.Count, error)
}
