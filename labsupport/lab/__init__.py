"""The bench the experiments stand on: for now notebook 06c's broker (rabbit_broker).

Issue 33 moves the rest of the bench here."""
