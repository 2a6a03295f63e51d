"""Memory layouts, as ``torch.layout``: ``chainrule.strided`` (dense tensors) and
``chainrule.sparse_coo`` (``SparseCOOTensor``)."""


class layout:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"chainrule.{self.name}"

    def __reduce__(self):   # one object per layout, also after pickling
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
