"""Reading the files people hand the bot: visit reports (a file or a .zip bundle, with photos) and
order lists, every problem at once."""
