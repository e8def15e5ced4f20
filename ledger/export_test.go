package ledger

import (
	"context"

	"sicherkommunal/ent"
)

// PostTogether writes ds as one batch, as the queue does with postings
// that arrive while earlier ones are being written; ctxs[i] is the
// request context of ds[i].
func (s *Service) PostTogether(ctxs []context.Context, ds []Disbursement) ([]*ent.LedgerEntry, []error) {
	entries, errs := make([]*ent.LedgerEntry, len(ds)), make([]error, len(ds))
	var (
		reqs []*postReq
		at   []int
	)
	for i, d := range ds {
		if err := d.normalize(); err != nil {
			errs[i] = err
			continue
		}
		reqs = append(reqs, &postReq{ctx: ctxs[i], d: d, done: make(chan struct{})})
		at = append(at, i)
	}
	if len(reqs) > 0 {
		s.writeBatch(reqs)
	}
	for j, r := range reqs {
		entries[at[j]], errs[at[j]] = r.entry, r.err
	}
	return entries, errs
}
