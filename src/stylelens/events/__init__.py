"""What shoppers do (search, view, like, dislike, save, add_to_cart, purchase): kept, and sent on to the shop."""
