"""Every write of the interactions module. Views, forms, admin actions, tasks, receivers
and management commands translate input and call these; none holds a rule of its own."""
