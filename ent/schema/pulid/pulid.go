// Package pulid implements prefixed ULIDs: opaque identifiers whose first two
// characters name the entity type, so that node(id:) finds the table without
// scanning. The 80 random bits of every ID come from crypto/rand (no monotonic
// counter), so IDs are not sequentially guessable.
package pulid

import (
	"crypto/rand"
	"database/sql/driver"
	"fmt"
	"io"
	"sicherkommunal/internal/clock"
	"strconv"

	"github.com/oklog/ulid/v2"
)

// ID is a prefixed ULID such as "PA01JD3K8Z6W8M2X1Q4R5T7V9B0C".
type ID string

// New returns a fresh ID with the given two-character prefix.
func New(prefix string) ID {
	u, err := ulid.New(ulid.Timestamp(clock.System()), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("pulid: reading randomness: %v", err))
	}
	return ID(prefix + u.String())
}

// Prefix returns the type prefix of the ID ("" for a malformed ID).
func (u ID) Prefix() string {
	if len(u) != 2+ulid.EncodedSize {
		return ""
	}
	return string(u[:2])
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (u *ID) UnmarshalGQL(v any) error {
	switch v := v.(type) {
	case string:
		*u = ID(v)
	case ID:
		*u = v
	default:
		return fmt.Errorf("ID must be a string")
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (u ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(u)))
}

// Scan implements sql.Scanner.
func (u *ID) Scan(src any) error {
	switch src := src.(type) {
	case string:
		*u = ID(src)
	case []byte:
		*u = ID(src)
	case nil:
		return fmt.Errorf("pulid: NULL id")
	default:
		return fmt.Errorf("pulid: unexpected type %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (u ID) Value() (driver.Value, error) { return string(u), nil }
