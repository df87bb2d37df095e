"""omnictl's full-screen console (Textual): screens over the same domain layer as the CLI."""
