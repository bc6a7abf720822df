"""What every app shares and no app owns (DESIGN.md): the ground floor, importing no app."""
