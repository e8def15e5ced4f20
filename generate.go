package main

// Code generation, in order: the ent client and ent.graphql from
// ent/schema, then the gqlgen executable schema from graph/*.graphql, then
// the client SDL api/schema.graphql from the compiled schema.
//go:generate go run ./ent/entc
//go:generate go tool gqlgen generate --config gqlgen.yml
//go:generate go run ./internal/printschema api/schema.graphql
