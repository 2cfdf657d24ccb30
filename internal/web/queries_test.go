package web

import "github.com/dutywatch/dutywatch/internal/store"

// The store is what the dashboard reads in production.
var _ Queries = (*store.Store)(nil)
