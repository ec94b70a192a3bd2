"""The policy model's private half: parsing and validating what a user configures.

Everything here runs at construction time (start-up, a reload, a store write), never per
request; it may import only the model modules users build (policy, config, errors, reasons).
"""
