package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/store"
)

// Group commit. A durable commit costs a disk flush, and a posting holds
// its participant's lock until that flush is done, so one transaction per
// posting caps a busy participant at one posting per flush. Postings that
// arrive while earlier ones are being written therefore wait in a queue
// and the next free writer posts all of them in one transaction: it locks
// their accounts (in a fixed order), applies the rules to each request in
// arrival order against the running totals, books the accepted ones and
// commits once. A request refused by a rule is refused alone; an error
// that is not one request's own (a database error, a constraint) rolls the
// whole batch back, after which every request is posted in a transaction
// of its own, so that no request fails because of another; so does a
// request cancelled (or timed out) before the commit, which is then not
// booked. A request is answered only after its batch committed. A lone
// request does not wait: when a writer is free it is posted at once.
const (
	maxBatch     = 64
	batchTimeout = 30 * time.Second
)

// writers is how many batches may be written at once: one on SQLite
// (which has one writer anyway); on PostgreSQL a few, for different
// participants: a batch never takes a request whose participant is in a
// batch still being written, so that the batches of one process do not
// queue on each other's account locks, and a busy participant's postings
// gather in the queue meanwhile.
func (s *Service) writers() int {
	if s.Dialect.IsPostgres() {
		// Measured with BenchmarkPostDisbursement on 2 cores: 2 writers
		// beat 1 and 4 for 16 posters on distinct participants (0.75
		// against 0.69 and 0.58 of raw commits/s) and are as good as any
		// for 16 posters on one.
		return 2
	}
	return 1
}

// postReq is one disbursement on its way into the ledger.
type postReq struct {
	ctx  context.Context
	d    Disbursement
	done chan struct{}

	entry    *ent.LedgerEntry
	replayOf pulid.ID // the entry booked earlier under the same key
	err      error
}

// batcher is the queue of postings and the participants whose postings
// are being written.
type batcher struct {
	mu      sync.Mutex
	queue   []*postReq
	busy    map[pulid.ID]bool
	running int
}

// postQueued posts d through the queue: it waits until the batch that
// took d committed or was rolled back, or until ctx ends.
func (s *Service) postQueued(ctx context.Context, d Disbursement) (*ent.LedgerEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &postReq{ctx: ctx, d: d, done: make(chan struct{})}
	s.enqueue(r)
	select {
	case <-r.done:
		return r.entry, r.err
	case <-ctx.Done():
		// Like a lost answer: the posting may still be committed, and a
		// retry with the same idempotency key returns it.
		return nil, ctx.Err()
	}
}

// postAlone posts one disbursement in a transaction of its own (or in the
// caller's).
func (s *Service) postAlone(ctx context.Context, d Disbursement) (*ent.LedgerEntry, error) {
	r := &postReq{ctx: ctx, d: d}
	if err := store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		return s.postBatch(ctx, c, []*postReq{r})
	}); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	return detach(ctx, r.entry), nil
}

func (s *Service) enqueue(r *postReq) {
	b := &s.batch
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, r)
	if b.running < s.writers() && !b.busy[r.d.ParticipationID] {
		b.running++
		go s.drain()
	}
}

// drain writes batches from the queue until nothing in it can be taken.
// A request left behind belongs to a participant in a batch being
// written, whose writer takes it next.
func (s *Service) drain() {
	b := &s.batch
	for {
		b.mu.Lock()
		if b.busy == nil {
			b.busy = map[pulid.ID]bool{}
		}
		var reqs []*postReq
		rest := b.queue[:0]
		for _, r := range b.queue {
			if len(reqs) < maxBatch && !b.busy[r.d.ParticipationID] {
				reqs = append(reqs, r)
			} else {
				rest = append(rest, r)
			}
		}
		for _, r := range reqs {
			b.busy[r.d.ParticipationID] = true
		}
		clear(b.queue[len(rest):])
		b.queue = rest
		if len(reqs) == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		s.writeBatch(reqs)
		b.mu.Lock()
		for _, r := range reqs {
			delete(b.busy, r.d.ParticipationID)
		}
		b.mu.Unlock()
	}
}

func (s *Service) writeBatch(reqs []*postReq) {
	defer func() {
		for _, r := range reqs {
			close(r.done)
		}
	}()
	if s.BatchSizes != nil {
		s.BatchSizes.Observe(float64(len(reqs)))
	}
	// Bounds a batch stuck on the database (the requests' own deadlines
	// are checked before the commit).
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := safely(func() error {
		return store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
			return s.postBatch(ctx, c, reqs)
		})
	})
	if err == nil {
		for _, r := range reqs {
			if r.entry != nil {
				r.entry = r.entry.Unwrap()
			}
		}
		return
	}
	if len(reqs) == 1 {
		if errors.Is(err, errGaveUp) {
			err = reqs[0].ctx.Err()
		}
		reqs[0].entry, reqs[0].err = nil, err
		return
	}
	for _, r := range reqs {
		err := safely(func() (err error) {
			r.entry, err = s.postAlone(r.ctx, r.d)
			return err
		})
		r.err = err
	}
}

// errGaveUp rolls a batch back because a request in it was cancelled or
// timed out before the commit: it must not be booked behind its client's
// back (as in a transaction of its own, which its cancellation rolls
// back). The others are then posted alone.
var errGaveUp = errors.New("ledger: a request of the batch was cancelled")

// safely turns a panic of fn into an error: the writer serves many
// requests and must not take the process down with one.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ledger: panic while writing postings: %v\n%s", p, debug.Stack())
		}
	}()
	return fn()
}

// postBatch posts reqs in the transaction of ctx: it locks their
// accounts (in participation order, see accounts.go), reads the keys
// booked before, decides every request (decide.go) and writes the
// decision (write.go). It sets each request's entry or its own error, and
// returns an error only when the transaction must not commit.
func (s *Service) postBatch(ctx context.Context, c *ent.Client, reqs []*postReq) error {
	pids := make([]pulid.ID, 0, len(reqs))
	for _, r := range reqs {
		r.entry, r.replayOf, r.err = nil, "", nil
		pids = append(pids, r.d.ParticipationID)
	}
	slices.Sort(pids)
	accs, err := s.lockAccounts(ctx, c, slices.Compact(pids))
	if err != nil {
		return err
	}
	byProgram := map[pulid.ID][]any{}
	for _, r := range reqs {
		if acc, ok := accs[r.d.ParticipationID]; ok {
			byProgram[acc.programID] = append(byProgram[acc.programID], r.d.IdempotencyKey)
		}
	}
	booked, err := s.bookedKeys(ctx, c, byProgram)
	if err != nil {
		return err
	}
	// The batch's audit events are written together, before the commit.
	audit := &auth.AuditBuffer{}
	preps, asks := s.prepare(ctx, c, reqs, accs, audit)
	return s.write(ctx, c, reqs, preps, decide(accs, booked, asks), audit)
}
