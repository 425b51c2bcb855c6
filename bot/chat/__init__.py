"""What every chat surface shares: the path of a tap from a button to the bus."""
