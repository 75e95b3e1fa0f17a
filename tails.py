import sys, numpy as np
from concurrent.futures import ProcessPoolExecutor
def one(args):
    regime, n, steps, seed, ov = args
    from model import SocialManagementModel
    from model.neighbourhood import connected_groups
    from model.population import PROTESTING
    m = SocialManagementModel(regime, n_residents=n, rng=seed, **ov)
    sizes=[]
    for _ in range(steps):
        m.step()
        marked = m.residents.stance == PROTESTING
        _,_,g = connected_groups(marked, m.network.indptr, m.network.indices)
        sizes.extend(s for s in g if s>=5)
    t = m.outcome_table()
    return regime, ov, np.array(sizes), t.share_protesting[1:].mean(), t.share_protesting.max(), t.mean_legitimacy.iloc[-1], t.mean_grievance.iloc[-1]
def slope(sizes):
    v=np.sort(sizes); top=v[-1]; d=np.unique(v[v>=top/10]); 
    if d.size<3: return float('nan')
    c=np.array([(v>=s).mean() for s in d]); return float(np.polyfit(np.log10(d),np.log10(c),1)[0])
if __name__=='__main__':
    n=int(sys.argv[1]); steps=int(sys.argv[2]); regimes=sys.argv[3].split(','); key=sys.argv[4]; vals=[float(x) for x in sys.argv[5].split(',')]
    extra={k:float(v) for k,v in (a.split('=') for a in sys.argv[6:])}
    jobs=[(r,n,steps,1,{key:v, **extra}) for v in vals for r in regimes]
    with ProcessPoolExecutor(2) as ex:
        for regime, ov, s, pm, px, L, G in ex.map(one, jobs):
            print(f"{regime:18s} {ov} prot {pm:.4f}/{px:.3f} L {L:.2f} G {G:.2f} inc {s.size:5d} largest {s.max() if s.size else 0:6.0f} slope {slope(s) if s.size>5 else float('nan'):.2f} per10k/yr {s.size/n*1e4/steps*52:.1f}", flush=True)
