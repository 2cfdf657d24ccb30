package source

import "sync"

// Floors records, per scope, the key below which a source never lists
// again: its listing window widened by a safety margin. Sources embed it to
// offer DoneFloors, with which the pipeline prunes the done-set so state
// stays bounded. The zero value is ready; it is safe for concurrent use.
type Floors struct {
	// mu guards the field below.
	mu     sync.Mutex
	floors map[string]string
}

// SetFloor records floor for scope; "" means nothing may be pruned.
func (f *Floors) SetFloor(scope, floor string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.floors == nil {
		f.floors = map[string]string{}
	}
	f.floors[scope] = floor
}

// DoneFloors returns the non-empty floors recorded so far, by scope.
func (f *Floors) DoneFloors() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.floors))
	for k, v := range f.floors {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
