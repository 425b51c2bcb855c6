"""What people read: an order's status and the portfolio, how factories do, where notices stand,
and what a chat's readers may see."""
