#!/usr/bin/env python3
"""PyTorch CPU reference for bench/ml/trainThroughput.ts: the same Conv-4 / ResNet-12 networks,
batch, input size and Multi-Similarity loss, timed the same way (median step after warm-up).
--mode embed times inference instead (eval mode, no autograd): images -> L2-normalised embeddings.

    python3 bench/ml/pytorch_reference.py --json [--mode train|embed] [--archs conv4,resnet12] [--steps 5]
        [--warmup 2] [--batch 25] [--size 84] [--channels 3] [--resnet-widths 64,128,256,512] [--threads N]

Prints one JSON line. Debian: apt-get install -y python3-torch.
"""
import argparse
import json
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout))


class Conv4(nn.Module):
    def __init__(self, channels, widths):
        super().__init__()
        layers, cin = [], channels
        for w in widths:
            layers += [conv_bn(cin, w, 3), nn.ReLU(), nn.MaxPool2d(2)]
            cin = w
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1, self.c2, self.c3 = conv_bn(cin, cout, 3), conv_bn(cout, cout, 3), conv_bn(cout, cout, 3)
        self.shortcut = conv_bn(cin, cout, 1)

    def forward(self, x):
        y = F.leaky_relu(self.c1(x), 0.1)
        y = F.leaky_relu(self.c2(y), 0.1)
        y = self.c3(y)
        return F.max_pool2d(F.leaky_relu(y + self.shortcut(x), 0.1), 2)


class ResNet12(nn.Module):
    def __init__(self, channels, widths):
        super().__init__()
        blocks, cin = [], channels
        for w in widths:
            blocks.append(ResBlock(cin, w))
            cin = w
        self.body = nn.Sequential(*blocks)

    def forward(self, x):
        return self.body(x)


class Embedder(nn.Module):
    """Feature map -> global average pooling -> L2 normalisation, as main/ml/models/embeddingNet.ts."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return F.normalize(self.backbone(x).mean(dim=(2, 3)), dim=1)


def multi_similarity_loss(e, labels, alpha=2.0, beta=50.0, lam=0.5, eps=0.1):
    s = e @ e.t()
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    pos, neg = same & ~eye, ~same
    with torch.no_grad():
        inf = torch.tensor(float('inf'))
        hardest_pos = torch.where(pos, s, inf).min(dim=1, keepdim=True).values
        hardest_neg = torch.where(neg, s, -inf).max(dim=1, keepdim=True).values
        pos_mask = (pos & (s < hardest_neg + eps)).float()
        neg_mask = (neg & (s > hardest_pos - eps)).float()
    pos_term = torch.log1p((torch.exp(-alpha * (s - lam)) * pos_mask).sum(1)) / alpha
    neg_term = torch.log1p((torch.exp(beta * (s - lam)) * neg_mask).sum(1)) / beta
    return (pos_term + neg_term).mean()


def build(arch, args):
    torch.manual_seed(1)
    widths = args.conv4_widths if arch == 'conv4' else args.resnet_widths
    backbone = Conv4(args.channels, widths) if arch == 'conv4' else ResNet12(args.channels, widths)
    return Embedder(backbone)


def train_step(model, images, labels, optimizer):
    optimizer.zero_grad()
    loss = multi_similarity_loss(model(images), labels)
    loss.backward()
    optimizer.step()


def measure(arch, args):
    model = build(arch, args)
    images = torch.rand(args.batch, args.channels, args.size, args.size)
    if args.mode == 'embed':
        model.eval()
        def step():
            with torch.inference_mode():
                model(images)
    else:
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        labels = torch.arange(args.batch) % 5
        def step():
            train_step(model, images, labels, optimizer)
    times, cpu_times = [], []
    for i in range(args.warmup + args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
    step_ms = statistics.median(times)
    # CPU time covers all of PyTorch's threads, so per CPU second is comparable with single-threaded wasm.
    return {'arch': arch, 'mode': args.mode, 'ok': True, 'images_per_s': round(args.batch * 1000 / step_ms, 2),
            'cpu_images_per_s': round(args.batch * 1000 / statistics.median(cpu_times), 2),
            'step_ms_median': round(step_ms, 2), 'step_ms': [round(t, 2) for t in times]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--json', action='store_true')
    parser.add_argument('--mode', choices=['train', 'embed'], default='train')
    parser.add_argument('--channels', type=int, default=3)
    parser.add_argument('--conv4-widths', default='64,64,64,64')
    parser.add_argument('--archs', default='conv4,resnet12')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch', type=int, default=25)
    parser.add_argument('--size', type=int, default=84)
    parser.add_argument('--resnet-widths', default='64,128,256,512')
    parser.add_argument('--threads', type=int, default=0, help='0 = PyTorch default (one thread with Debian python3-torch here)')
    args = parser.parse_args()
    args.resnet_widths = [int(w) for w in args.resnet_widths.split(',')]
    args.conv4_widths = [int(w) for w in args.conv4_widths.split(',')]
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    results = []
    for arch in args.archs.split(','):
        try:
            results.append(measure(arch, args))
        except Exception as error:  # report, do not crash the benchmark
            results.append({'arch': arch, 'mode': args.mode, 'ok': False, 'error': str(error)})
    report = {'bench': 'pytorch-reference', 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'mode': args.mode, 'batch': args.batch,
              'input_size': args.size, 'channels': args.channels, 'results': results,
              'machine': {'cpu': platform.processor() or platform.machine(), 'cores': os.cpu_count(), 'load_average': [round(x, 2) for x in os.getloadavg()]}}
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
