package main

// Code generation, in order: the ent client and ent.graphql from
// ent/schema, then the gqlgen executable schema from graph/*.graphql.
//go:generate go run ./ent/entc
//go:generate go tool gqlgen generate --config gqlgen.yml
