"""Channel import: profiles (TOML data) describe file layouts; the engine maps rows to orders."""
