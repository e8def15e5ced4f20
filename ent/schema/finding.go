// Findings of security tests (vulnerability scans, penetration tests, spot
// checks, policy reviews): what a test found, on which system, how severe,
// and whether it was ever fixed, with every change of status.

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// details read a finding's details (systems, ports, descriptions,
// evidence: a map for an attacker): ADMIN, the contractor and, rows
// permitting, the Kommune itself. MID and KITU read titles, severities,
// statuses and dates.
var details = []types.Role{types.RoleAdmin, types.RoleContractor, types.RoleMunicipality}

// SecurityTest is one test of a participation's systems: a vulnerability
// scan, a penetration test, a spot check or a policy review, with the
// report it produced.
type SecurityTest struct{ ent.Schema }

// Mixin of SecurityTest.
func (SecurityTest) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("SX"), TimeMixin{}}
}

// Fields of SecurityTest.
func (SecurityTest) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("kind").GoType(types.TestKind("")).Immutable().
			Annotations(entgql.OrderField("KIND"), entgql.Type("TestKind")),
		field.String("tool").Optional().Nillable().MaxLen(200),
		field.String("tool_version").Optional().Nillable().MaxLen(100),
		field.Time("performed_on").SchemaType(types.DateSchemaType).
			Annotations(entgql.Type("Date"), entgql.OrderField("PERFORMED_ON")),
		field.String("consultant_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("appointment_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("step_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.Text("scope").Optional().Nillable().MaxLen(10000).Annotations(readers(details...)),
		// format is the report's format: a Greenbone report, or MANUAL for
		// findings recorded by hand.
		field.Enum("format").Values("GREENBONE_XML", "GREENBONE_CSV", "MANUAL").Immutable(),
		field.String("report_name").Optional().Nillable().MaxLen(300).Immutable().Annotations(readers(details...)),
		// report_sha256 identifies the report: the same file again is the
		// same test.
		field.String("report_sha256").Optional().Nillable().MaxLen(64).Immutable().Annotations(readers(details...)),
		field.Int64("report_size").Optional().Nillable().Immutable().Annotations(readers(details...)),
		field.Bytes("report").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("results").Default(0).Immutable(),
		field.Int("findings_added").Default(0),
		field.Int("findings_seen_again").Default(0),
		field.Int("findings_reopened").Default(0),
		field.Int("findings_not_seen").Default(0),
	}
}

// Edges of SecurityTest.
func (SecurityTest) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("security_tests").Field("participation_id").Unique().Required().Immutable(),
		edge.To("consultant", Consultant.Type).Field("consultant_id").Unique(),
		edge.To("appointment", Appointment.Type).Field("appointment_id").Unique(),
		edge.To("step", Step.Type).Field("step_id").Unique(),
		edge.To("findings", Finding.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of SecurityTest.
func (SecurityTest) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("participation_id", "report_sha256").Unique(),
		index.Fields("participation_id", "kind", "performed_on"),
	}
}

// Annotations of SecurityTest.
func (SecurityTest) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}

// Finding is one weakness of a participation's systems. Its identity is
// (participation, rule, host, port): a later test that finds the same
// updates it instead of adding one.
type Finding struct{ ent.Schema }

// Mixin of Finding.
func (Finding) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("FI"), TimeMixin{}}
}

// Fields of Finding.
func (Finding) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.String("first_test_id").GoType(pulid.ID("")).Immutable(),
		// rule_id is the scanner's rule (the NVT OID of a Greenbone
		// result), or the tester's reference of a manual finding.
		field.String("rule_id").NotEmpty().MaxLen(200).Immutable().Annotations(readers(details...)),
		field.String("host").MaxLen(255).Immutable().Annotations(readers(details...), entgql.OrderField("HOST")),
		field.String("hostname").Optional().Nillable().MaxLen(255).Annotations(readers(details...)),
		// port as the scanner gives it: "443/tcp", "general/tcp", "package".
		field.String("port").MaxLen(50).Immutable().Annotations(readers(details...)),
		field.String("title").NotEmpty().MaxLen(500).Annotations(entgql.OrderField("TITLE")),
		field.Text("description").Optional().Nillable().MaxLen(100000).Annotations(readers(details...)),
		field.Text("solution").Optional().Nillable().MaxLen(20000).Annotations(readers(details...)),
		field.Enum("severity").GoType(types.Severity("")).
			Annotations(entgql.OrderField("SEVERITY"), entgql.Type("Severity")),
		field.String("cvss_vector").Optional().Nillable().MaxLen(200).Annotations(readers(details...)),
		// cvss_score_tenths is the base score computed from the vector, in
		// tenths (75 is 7.5); reported_score_tenths what the report said.
		field.Int("cvss_score_tenths").Optional().Nillable().Range(0, 100).Annotations(entgql.Skip()),
		field.Int("reported_score_tenths").Optional().Nillable().Range(0, 100).Annotations(entgql.Skip()),
		field.Strings("cves").Optional().Annotations(readers(details...)),
		field.Strings("cwes").Optional().Annotations(readers(details...)),
		field.Time("first_seen_on").SchemaType(types.DateSchemaType).
			Annotations(entgql.Type("Date"), entgql.OrderField("FIRST_SEEN_ON")),
		field.Time("last_seen_on").SchemaType(types.DateSchemaType).
			Annotations(entgql.Type("Date"), entgql.OrderField("LAST_SEEN_ON")),
		// not_seen_since is the day of the first newer test of the same
		// scope that no longer found it (a candidate for a re-test).
		field.Time("not_seen_since").SchemaType(types.DateSchemaType).Optional().Nillable().
			Annotations(entgql.Type("Date")),
		field.Enum("status").GoType(types.FindingStatus("")).Default(string(types.FindingOpen)).
			Annotations(entgql.OrderField("STATUS"), entgql.Type("FindingStatus")),
		field.Time("due_on").SchemaType(types.DateSchemaType).Optional().Nillable().
			Annotations(entgql.Type("Date"), entgql.OrderField("DUE_ON")),
		field.Text("status_reason").Optional().Nillable().MaxLen(2000).Annotations(readers(details...)),
		field.String("accepted_by").Optional().Nillable().MaxLen(200).Annotations(readers(details...)),
		field.Time("accepted_until").SchemaType(types.DateSchemaType).Optional().Nillable().
			Annotations(entgql.Type("Date")),
	}
}

// Edges of Finding.
func (Finding) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("findings").Field("participation_id").Unique().Required().Immutable(),
		edge.From("first_test", SecurityTest.Type).Ref("findings").Field("first_test_id").Unique().Required().Immutable(),
		edge.To("requirements", Requirement.Type).Annotations(readers(details...)),
		edge.From("measures", Measure.Type).Ref("remedies"),
		edge.To("history", FindingChange.Type).Annotations(readers(details...)),
	}
}

// Indexes of Finding.
func (Finding) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("participation_id", "rule_id", "host", "port").Unique(),
		index.Fields("status", "severity"),
		index.Fields("due_on"),
	}
}

// Annotations of Finding.
func (Finding) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}

// FindingChange is one change of a finding's status: from what to what,
// why, how (by hand, by a scan, by an expired acceptance), who and when.
// Append-only.
type FindingChange struct{ ent.Schema }

// Mixin of FindingChange.
func (FindingChange) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("FX")}
}

// Fields of FindingChange.
func (FindingChange) Fields() []ent.Field {
	return []ent.Field{
		field.String("finding_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("from_status").GoType(types.FindingStatus("")).Optional().Nillable().Immutable().
			Annotations(entgql.Type("FindingStatus")),
		field.Enum("to_status").GoType(types.FindingStatus("")).Immutable().Annotations(entgql.Type("FindingStatus")),
		field.Text("reason").Optional().Nillable().Immutable(),
		field.Enum("via").Values("MANUAL", "SCAN", "EXPIRY").Immutable(),
		field.String("test_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("actor").NotEmpty().MaxLen(200).Immutable(),
		field.Enum("actor_role").GoType(types.Role("")).Immutable().Annotations(entgql.Type("Role")),
		field.Time("changed_at").Immutable().Annotations(entgql.OrderField("CHANGED_AT")),
	}
}

// Edges of FindingChange.
func (FindingChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("finding", Finding.Type).Ref("history").Field("finding_id").Unique().Required().Immutable(),
		edge.To("test", SecurityTest.Type).Field("test_id").Unique().Immutable(),
	}
}

// Indexes of FindingChange.
func (FindingChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("finding_id", "changed_at")}
}

// Hooks of FindingChange.
func (FindingChange) Hooks() []ent.Hook {
	return []ent.Hook{appendOnly()}
}

// Annotations of FindingChange.
func (FindingChange) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(details...)}
}
