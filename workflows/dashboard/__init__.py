"""The dashboard: daily series and per-workflow figures (`stats`), current problems
(`problems`) and their SVG charts (`charts`). docs/architecture.md, "Operations"."""
