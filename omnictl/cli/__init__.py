"""The Typer face: parse arguments, call one domain function, render its result."""
