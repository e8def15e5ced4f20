// Command sicherkommunal serves the SicherKOMMUNAL GraphQL API.
//
// Run `go run . -h` for the configuration; `go run . -demo` starts a server
// on an embedded SQLite file with demo data. Everything else is in app/.
package main

import (
	"os"

	"sicherkommunal/app"
)

func main() { os.Exit(app.Main(os.Args[1:])) }
