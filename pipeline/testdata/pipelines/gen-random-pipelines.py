#!/usr/bin/python3
"""Generate random pipeline files for a differential run against Ceilometer 19.

    python3 gen-random-pipelines.py SEED COUNT OUTDIR > args.txt
    /usr/bin/python3 ceilometer19-oracle.py $(cat args.txt) > verdicts.json
    PIPELINE_ORACLE=$PWD/verdicts.json go test ./pipeline -run CeilometerOracle -v

Files are PyYAML dumps of random sources/sinks (names, meters, sinks, publishers,
transformers, missing/null/empty/wrongly-typed values), with about half the quoted
scalars unquoted so that YAML 1.1 typing (on, no, 5, 1e5) is exercised. Prints the
"kind=file" arguments for the oracle.
"""
import random, yaml, json, sys, os
random.seed(int(sys.argv[1])); N=int(sys.argv[2]); out=sys.argv[3]
os.makedirs(out, exist_ok=True)
MISSING=object()
def pick(*opts): return random.choice(opts)
names=["a","b","c","a:b","b:c","x","on","5","no"]
entries=["*","!cpu","cpu","disk.*","*.rate","!disk.*","memory","!*","[a-c]*","","on","12","1e5"]
def filt():
    r=random.random()
    if r<0.05: return MISSING
    if r<0.1: return None
    if r<0.15: return []
    if r<0.2: return pick("*","cpu","")
    return [random.choice(entries) for _ in range(random.randint(1,3))]
def refs():
    r=random.random()
    if r<0.05: return MISSING
    if r<0.1: return None
    if r<0.15: return []
    if r<0.2: return random.choice(names)
    return [random.choice(names) for _ in range(random.randint(1,2))]
def source(kind):
    d={}
    if random.random()<0.95: d["name"]=random.choice(names)
    f=filt()
    if f is not MISSING: d["meters" if kind=="sample" else "events"]=f
    if random.random()<0.1: d["interval"]=600
    r=refs()
    if r is not MISSING: d["sinks"]=r
    return d
def sink():
    d={}
    if random.random()<0.95: d["name"]=random.choice(names)
    r=random.random()
    if r<0.05: pass
    elif r<0.1: d["publishers"]=None
    elif r<0.15: d["publishers"]=[]
    elif r<0.2: d["publishers"]="notifier"
    else: d["publishers"]=[pick("notifier://","notifier","gnocchi://","") for _ in range(random.randint(1,2))]
    if random.random()<0.2: d["transformers"]=pick(None,[],[{"name":"delta","parameters":{"growth_only":True}}])
    return d
res=[]
for i in range(N):
    kind=pick("sample","event")
    doc={}
    if random.random()<0.95: doc["sources"]=[source(kind) for _ in range(random.randint(0,3))]
    if random.random()<0.95: doc["sinks"]=[sink() for _ in range(random.randint(0,3))]
    f=os.path.join(out, "%05d.yaml"%i)
    text=yaml.safe_dump(doc)
    import re
    text=re.sub(r"'([^'\n]*)'", lambda m: m.group(1) if random.random()<0.5 and m.group(1) not in ('*','!cpu','!disk.*','!*','','*.rate','[a-c]*','a:b','b:c') else m.group(0), text)
    open(f,"w").write(text)
    res.append(kind+"="+f)
print(" ".join(res))
