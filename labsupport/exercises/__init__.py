"""The exercise checkers, one module per notebook: notebook 00's are ``ex00``, and so on."""
