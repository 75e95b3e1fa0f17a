import sys, itertools, numpy as np
sys.path.insert(0,'/tmp')
from tails import one, slope
from concurrent.futures import ProcessPoolExecutor
n=int(sys.argv[1]); steps=int(sys.argv[2]); regimes=sys.argv[3].split(',')
axes=[(a.split('=')[0], [float(x) for x in a.split('=')[1].split(',')]) for a in sys.argv[4:]]
jobs=[]
for combo in itertools.product(*[v for _,v in axes]):
    ov={k:v for (k,_),v in zip(axes,combo)}
    for r in regimes: jobs.append((r,n,steps,1,ov))
with ProcessPoolExecutor(2) as ex:
    for regime, ov, s, pm, px, L, G in ex.map(one, jobs):
        print(f"{regime:18s} {ov} prot {pm:.4f}/{px:.3f} L {L:.2f} G {G:.2f} inc {s.size:5d} largest {s.max() if s.size else 0:6.0f} slope {slope(s) if s.size>5 else float('nan'):.2f} per10k/yr {s.size/n*1e4/steps*52:.1f}", flush=True)
