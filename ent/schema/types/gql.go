package types

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

func unmarshalEnum[T ~string](v any, values []string, name string) (T, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(values, s) {
		return "", fmt.Errorf("%v is not a valid %s", v, name)
	}
	return T(s), nil
}

// MarshalGQL implements graphql.Marshaler.
func (k StepKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *StepKind) UnmarshalGQL(v any) (err error) {
	*k, err = unmarshalEnum[StepKind](v, StepKind("").Values(), "StepKind")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s FundingStage) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *FundingStage) UnmarshalGQL(v any) (err error) {
	*s, err = unmarshalEnum[FundingStage](v, FundingStage("").Values(), "FundingStage")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (r Role) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *Role) UnmarshalGQL(v any) (err error) {
	*r, err = unmarshalEnum[Role](v, Role("").Values(), "Role")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (k AssessmentKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *AssessmentKind) UnmarshalGQL(x any) (err error) {
	*k, err = unmarshalEnum[AssessmentKind](x, AssessmentKind("").Values(), "AssessmentKind")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s AssessmentStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *AssessmentStatus) UnmarshalGQL(x any) (err error) {
	*s, err = unmarshalEnum[AssessmentStatus](x, AssessmentStatus("").Values(), "AssessmentStatus")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s AnswerStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *AnswerStatus) UnmarshalGQL(x any) (err error) {
	*s, err = unmarshalEnum[AnswerStatus](x, AnswerStatus("").Values(), "AnswerStatus")
	return err
}
