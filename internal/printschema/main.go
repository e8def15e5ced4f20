// Command printschema writes the client SDL of the GraphQL schema (the
// whole schema, sorted, without the Go-only directives) to the file named
// by its argument. It runs from `go generate ./...` at the repository root.
package main

import (
	"log"
	"os"

	"sicherkommunal/graph"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: printschema FILE")
	}
	if err := os.WriteFile(os.Args[1], graph.ClientSDL(), 0o644); err != nil {
		log.Fatal(err)
	}
}
