"""Orders as the buyer knows them before any visit: imported, compared with what visits report."""
