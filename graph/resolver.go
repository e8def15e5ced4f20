// Package graph is the GraphQL layer: the schema (*.graphql), thin
// resolvers that call one domain function each, the scalars and the error
// presentation.
package graph

import (
	"context"
	"log/slog"

	"sicherkommunal/assessment"
	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	"sicherkommunal/catalog"
	"sicherkommunal/ent"
	"sicherkommunal/finding"
	"sicherkommunal/ledger"
	"sicherkommunal/monitoring"
	"sicherkommunal/programme"
	"sicherkommunal/reconcile"
)

// Resolver holds the dependencies of the resolvers.
type Resolver struct {
	Client    *ent.Client
	Programme *programme.Service
	Auth      *auth.Service
	Ledger    *ledger.Service
	// Calendar holds the appointment rules and the feeds.
	Calendar *calendar.Service
	// Monitoring runs the monitoring jobs and reads flags.
	Monitoring *monitoring.Runner
	// Recon imports bank statements and reconciles them with the ledger.
	Recon *reconcile.Service
	// Assess conducts the WiBA assessments.
	Assess *assessment.Service
	// Findings records security tests and their findings.
	Findings *finding.Service
	// Catalogs stores imported catalogues.
	Catalogs *catalog.Service
	Log      *slog.Logger
}

// ent returns the transactional client of a mutation (entgql.Transactioner)
// or the plain client. Using r.Client inside a mutation would deadlock a
// one-connection pool.
func (r *Resolver) ent(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

// deref is the text of an optional input, "" for null.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
