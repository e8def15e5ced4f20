// Package auth knows who is asking: bearer tokens (random secrets stored
// only as SHA-256 hashes), roles, the viewer in the request context and the
// HTTP middleware that refuses requests without a valid token.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/ent/consultant"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store/retry"
)

// Viewer is the holder of the token of a request.
type Viewer struct {
	TokenID        pulid.ID
	Name           string
	Role           types.Role
	MunicipalityID *pulid.ID
	ConsultantID   *pulid.ID
	// OnBehalfOf is the viewer whose request made the system act (a job
	// started through runJob); the audit trail names it.
	OnBehalfOf *Viewer
}

// Is reports whether the viewer has one of the roles.
func (v *Viewer) Is(roles ...types.Role) bool {
	if v == nil {
		return false
	}
	for _, r := range roles {
		if v.Role == r {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer of ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// SystemContext marks work the program does by itself (seeding, jobs).
func SystemContext(ctx context.Context) context.Context {
	v := FromContext(ctx)
	if v != nil && v.Name == "system" && v.TokenID == "" {
		return ctx
	}
	return NewContext(ctx, &Viewer{Name: "system", Role: types.RoleAdmin, OnBehalfOf: v})
}

// Actor names who acts, for the "created by" of records: the token's
// name and ID, or "system".
func Actor(ctx context.Context) string {
	v := FromContext(ctx)
	switch {
	case v == nil:
		return "unknown"
	case v.OnBehalfOf != nil:
		return Actor(NewContext(ctx, v.OnBehalfOf))
	case v.TokenID != "":
		return fmt.Sprintf("%s (%s)", v.Name, v.TokenID)
	}
	return v.Name
}

// Require returns FORBIDDEN unless the viewer has one of the roles.
func Require(ctx context.Context, roles ...types.Role) error {
	v := FromContext(ctx)
	if v == nil {
		return apperr.New(apperr.Unauthenticated, "a bearer token is required")
	}
	if !v.Is(roles...) {
		return apperr.New(apperr.Forbidden, "the %s role may not do this", v.Role)
	}
	return nil
}

// SecretPrefix starts every secret so that leaked tokens are easy to find.
const SecretPrefix = "skt_"

// NewSecret returns a token secret with 256 random bits.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: reading randomness: " + err.Error())
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns the stored form of a secret. Secrets carry 256 random bits,
// so a plain SHA-256 is enough; no password hashing is needed.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Service manages tokens.
type Service struct {
	Client *ent.Client
	Now    func() time.Time
	Log    *slog.Logger
}

// lastUsedResolution bounds how often a token's last-used time is written.
const lastUsedResolution = time.Minute

// Authenticate returns the viewer of a secret, or UNAUTHENTICATED for a
// missing, unknown or revoked token.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Viewer, error) {
	if secret == "" || len(secret) > 200 {
		return nil, apperr.New(apperr.Unauthenticated, "a valid bearer token is required")
	}
	// Finding out who asks happens before anyone is known.
	ctx = SystemContext(ctx)
	// A database restart must not refuse requests: transient errors are
	// tried again while the request has time.
	var t *ent.APIToken
	err := retry.Do(ctx, func(ctx context.Context) (err error) {
		t, err = s.Client.APIToken.Query().
			Where(apitoken.TokenHash(Hash(secret)), apitoken.RevokedAtIsNil()).
			Only(ctx)
		return err
	})
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.Unauthenticated, "a valid bearer token is required")
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedResolution {
		// Best effort and rate limited: a failure here must not refuse the request.
		if err := s.Client.APIToken.UpdateOneID(t.ID).SetLastUsedAt(now).Exec(ctx); err != nil {
			s.Log.Warn("recording token use failed", "token", t.ID, "err", err)
		}
	}
	return &Viewer{TokenID: t.ID, Name: t.Name, Role: t.Role, MunicipalityID: t.MunicipalityID, ConsultantID: t.ConsultantID}, nil
}

// CreateToken creates a token and returns its secret, which is not stored.
// A MUNICIPALITY token needs a municipality; a consultant may only be given
// to a CONTRACTOR token. Errors: VALIDATION, NOT_FOUND.
func (s *Service) CreateToken(ctx context.Context, c *ent.Client, name string, role types.Role, municipalityID, consultantID *pulid.ID) (string, *ent.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, apperr.New(apperr.Validation, "a token needs a name")
	}
	switch {
	case role == types.RoleMunicipality && municipalityID == nil:
		return "", nil, apperr.New(apperr.Validation, "a MUNICIPALITY token needs municipalityID")
	case role != types.RoleMunicipality && municipalityID != nil:
		return "", nil, apperr.New(apperr.Validation, "municipalityID is only for MUNICIPALITY tokens")
	case role != types.RoleContractor && consultantID != nil:
		return "", nil, apperr.New(apperr.Validation, "consultantID is only for CONTRACTOR tokens")
	}
	if municipalityID != nil {
		if ok, err := c.Municipality.Query().Where(municipality.ID(*municipalityID)).Exist(ctx); err != nil {
			return "", nil, err
		} else if !ok {
			return "", nil, apperr.New(apperr.NotFound, "municipality %s not found", *municipalityID)
		}
	}
	if consultantID != nil {
		if ok, err := c.Consultant.Query().Where(consultant.ID(*consultantID)).Exist(ctx); err != nil {
			return "", nil, err
		} else if !ok {
			return "", nil, apperr.New(apperr.NotFound, "consultant %s not found", *consultantID)
		}
	}
	secret := NewSecret()
	t, err := c.APIToken.Create().
		SetName(name).SetRole(role).SetTokenHash(Hash(secret)).
		SetNillableMunicipalityID(municipalityID).SetNillableConsultantID(consultantID).
		Save(ctx)
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Revoke revokes a token; revoking twice keeps the first time. Errors: NOT_FOUND.
func (s *Service) Revoke(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.APIToken, error) {
	t, err := c.APIToken.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "token %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		return t, nil
	}
	return c.APIToken.UpdateOne(t).SetRevokedAt(s.Now()).Save(ctx)
}

// ErrAdminTokenRevoked: the SK_ADMIN_TOKEN secret belongs to a revoked
// token. A revoked secret stays revoked, across restarts too.
var ErrAdminTokenRevoked = errors.New(
	"the configured SK_ADMIN_TOKEN was revoked, and a revoked secret never works again: configure a new secret (16+ characters) in SK_ADMIN_TOKEN and start again")

// EnsureAdminToken makes sure an active ADMIN token with exactly this
// secret exists (from SK_ADMIN_TOKEN). Errors: VALIDATION for a secret
// shorter than 16 characters or one already used by a non-admin token,
// ErrAdminTokenRevoked for the secret of a revoked token (which is not
// brought back).
func (s *Service) EnsureAdminToken(ctx context.Context, secret string) error {
	if len(secret) < 16 {
		return apperr.New(apperr.Validation, "SK_ADMIN_TOKEN must have at least 16 characters")
	}
	t, err := s.Client.APIToken.Query().Where(apitoken.TokenHash(Hash(secret))).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return s.Client.APIToken.Create().SetName("admin (SK_ADMIN_TOKEN)").SetRole(types.RoleAdmin).
			SetTokenHash(Hash(secret)).Exec(ctx)
	case err != nil:
		return err
	case t.Role != types.RoleAdmin:
		return apperr.New(apperr.Validation, "SK_ADMIN_TOKEN is in use by a %s token", t.Role)
	case t.RevokedAt != nil:
		return ErrAdminTokenRevoked
	}
	return nil
}

// BootstrapAdmin creates an ADMIN token if no active one exists and
// returns its secret ("" when one exists already).
func (s *Service) BootstrapAdmin(ctx context.Context, name string) (string, error) {
	n, err := s.Client.APIToken.Query().Where(apitoken.RoleEQ(types.RoleAdmin), apitoken.RevokedAtIsNil()).Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	secret := NewSecret()
	err = s.Client.APIToken.Create().SetName(name).SetRole(types.RoleAdmin).SetTokenHash(Hash(secret)).Exec(ctx)
	return secret, err
}

// BearerToken extracts the secret of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}

// Middleware refuses requests without a valid bearer token with 401 and
// puts the viewer into the context of the others.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return s.RequireRole(nil, next)
}

// RequireRole is Middleware that also answers 403 to a valid token of
// another role than those listed (nil: any role).
func (s *Service) RequireRole(roles []types.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.Authenticate(r.Context(), BearerToken(r))
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		if roles != nil && !v.Is(roles...) {
			apperr.WriteHTTP(w, apperr.Forbidden, "the "+string(v.Role)+" role may not use this", nil)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), v)))
	})
}

// refuse answers a failed authentication: 401 for a missing, unknown or
// revoked token; 503 when the request ran out of time or the database
// stayed unreachable (the client may try again); 500 otherwise.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case apperr.CodeOf(err) == apperr.Unauthenticated:
		apperr.WriteHTTP(w, apperr.Unauthenticated, "a valid bearer token is required", nil)
	case r.Context().Err() != nil:
		s.Log.WarnContext(r.Context(), "authentication ran out of time", "err", err)
		apperr.WriteHTTP(w, apperr.Timeout, "the request took too long", nil)
	case retry.IsTransient(err):
		s.Log.WarnContext(r.Context(), "authentication: database unavailable", "err", err)
		apperr.WriteHTTP(w, apperr.Unavailable, "the service is briefly unavailable; try again", nil)
	default:
		s.Log.ErrorContext(r.Context(), "authentication failed", "err", err)
		apperr.WriteHTTP(w, apperr.Internal, "internal error", nil)
	}
}

// demoAdminName names the token that `-demo` renews on every start.
const demoAdminName = "demo admin"

// RenewDemoAdmin revokes earlier demo admin tokens and creates a new one,
// so that every demo start can print a working token.
func (s *Service) RenewDemoAdmin(ctx context.Context) (string, error) {
	if err := s.Client.APIToken.Update().
		Where(apitoken.Name(demoAdminName), apitoken.RevokedAtIsNil()).
		SetRevokedAt(s.Now()).Exec(ctx); err != nil {
		return "", err
	}
	secret := NewSecret()
	err := s.Client.APIToken.Create().SetName(demoAdminName).SetRole(types.RoleAdmin).SetTokenHash(Hash(secret)).Exec(ctx)
	return secret, err
}
