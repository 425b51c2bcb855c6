"""What the bot computes from a visit: progress gap, schedule, AQL judgement, risks, options."""
