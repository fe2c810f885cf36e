# Business documents arrive with their own issue; the kinds of documents are in types.py.
