"""The lecture's two-layer network learns XOR with chainrule's autograd and plain SGD.

    h = tanh(x W1 + b1)          (4, 2) -> (4, 8)
    p = sigmoid(h W2 + b2)       (4, 8) -> (4, 1)
    loss = mean((p - y)^2)

Each step: forward, ``loss.backward()`` fills every ``.grad``, then
``w -= lr * w.grad`` under ``no_grad`` and the gradients are reset.
"""
import chainrule as cr

cr.manual_seed(0)

x = cr.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])   # (4, 2)
y = cr.tensor([[0.], [1.], [1.], [0.]])                   # (4, 1)

hidden = 8
w1 = (cr.randn(2, hidden) * 1.0).requires_grad_()          # (2, 8)
b1 = cr.zeros(hidden, requires_grad=True)                 # (8,)
w2 = (cr.randn(hidden, 1) * 0.5).requires_grad_()          # (8, 1)
b2 = cr.zeros(1, requires_grad=True)                      # (1,)
params = [w1, b1, w2, b2]


def forward(x):
    h = cr.tanh(x @ w1 + b1)          # (4, 8)
    return cr.sigmoid(h @ w2 + b2)    # (4, 1)


lr = 2.0
for step in range(1, 2001):
    loss = ((forward(x) - y) ** 2).mean()
    loss.backward()
    with cr.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    if step == 1 or step % 200 == 0:
        print(f"step {step:5d}  loss {loss.item():.6f}")

with cr.no_grad():
    predictions = forward(x)
print("\n x1 x2 | target | prediction")
for (a, b), target, p in zip(x.tolist(), y.tolist(), predictions.tolist()):
    print(f"  {a:.0f}  {b:.0f} |   {target[0]:.0f}    |   {p[0]:.3f}")
correct = ((predictions > 0.5).float() == y).all().item()
print("\nXOR learned:", "yes" if correct else "no")
