"""Route quality and time of the home-visit day plan solver (prints figures; not a test).

    .venv/bin/python bench/routing.py                 # PyVRP, the project's solver
    uv run --no-project --with ortools python bench/routing.py --compare   # OR-Tools beside

1. Home visits: days of 8, 12, 20 and 40 home visits with time windows (generated from a fixed
   seed around one office; visit lengths 30, 45 or 60 minutes; one in ten with a locked time),
   solved by `pallio.visits.routing.plan_day` as the day plan calls it (default time limit),
   against the best plan of the long solves (`--long` seconds, 60 by default). Prints the visits
   fitted, the travel minutes, the gap % in travel against the best long solve (only when as
   many visits fit; "-" and how many fewer otherwise), and the time.
2. Solomon's C101, R101 and RC101 (100 customers, many vehicles, capacities and time windows;
   the folder is `../shared/data/routing` from the project root, or $PALLIO_ROUTING_DATA), each
   solved for `--solomon` seconds (30 by default): distance, the published optimum, gap % and
   vehicles. Distances are real-valued Euclidean; the published optima were computed with
   each arc truncated to one decimal, so the distance on those terms is printed as well.

With `--compare`, the same problems go to OR-Tools' routing solver (guided local search, its
usual set-up for time windows) when it is installed; it is not a dependency of Pallio.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pallio.visits.geo import Location, StraightLineTravel  # noqa: E402
from pallio.visits.routing import (  # noqa: E402
    NO_IMPROVEMENT_ITERATIONS,
    Stop,
    TimeWindow,
    plan_day,
)

DAY = datetime(2026, 12, 1, 8, 0)
OFFICE = Location(42.2626, -71.8023)  # Worcester, Massachusetts (the gazetteer's area)
TRAVEL = StraightLineTravel()
SOLOMON = {"C101": 827.3, "R101": 1637.7, "RC101": 1619.8}  # published optima (README there)


def home_day(count: int) -> tuple[list[Stop], datetime]:
    """`count` visits within about 15 km of the office; a day long enough for all of them."""
    rng = random.Random(1000 + count)
    hours = max(9.0, count * 55 / 60)
    stops = []
    for i in range(count):
        lat = OFFICE.lat + rng.uniform(-0.13, 0.13)
        lon = OFFICE.lon + rng.uniform(-0.17, 0.17)
        length = rng.choice([30, 45, 60])
        kind = rng.random()
        windows: tuple[TimeWindow, ...] = ()
        locked = None
        if kind < 0.1:
            locked = DAY + timedelta(minutes=rng.randrange(30, int(hours * 60) - 90, 15))
        elif kind < 0.7:
            start = rng.uniform(0, hours - 3)
            width = rng.choice([2, 3, 4])
            windows = (
                TimeWindow(DAY + timedelta(hours=start), DAY + timedelta(hours=start + width)),
            )
        stops.append(Stop(f"v{i}", Location(lat, lon), length, windows, locked))
    return stops, DAY + timedelta(hours=hours)


@dataclass
class Outcome:
    fitted: int
    travel_min: float
    seconds: float


def with_pyvrp(stops: list[Stop], end: datetime, limit: float, patience: int | None) -> Outcome:
    started = time.monotonic()
    plan = plan_day(
        office=OFFICE, day_start=DAY, day_end=end, stops=stops, travel=TRAVEL,
        time_limit_s=limit, patience=patience or NO_IMPROVEMENT_ITERATIONS,
    )  # fmt: skip
    return Outcome(len(plan.visits), plan.total_travel_minutes, time.monotonic() - started)


def with_ortools(stops: list[Stop], end: datetime, limit: float, patience: int | None) -> Outcome:
    """The same day on OR-Tools: one vehicle, optional visits (disjunctions), time windows."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del patience
    started = time.monotonic()
    places = [OFFICE, *[s.location for s in stops if s.location]]
    n = len(places)
    secs = [
        [0 if i == j else round(TRAVEL.minutes(places[i], places[j]) * 60) for j in range(n)]
        for i in range(n)
    ]
    horizon = round((end - DAY).total_seconds())
    service = [0] + [s.service_minutes * 60 for s in stops]
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc(i: int, j: int) -> int:
        return secs[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def step(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return secs[a][b] + service[a]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    routing.AddDimension(routing.RegisterTransitCallback(step), horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    prize = 10 * (horizon + 1)
    for k, stop in enumerate(stops, start=1):
        index = manager.NodeToIndex(k)
        if stop.locked_at is not None:
            at = round((stop.locked_at - DAY).total_seconds())
            dim.CumulVar(index).SetRange(at, at)
        elif stop.windows:
            w = stop.windows[0]
            dim.CumulVar(index).SetRange(
                round((w.start - DAY).total_seconds()), round((w.end - DAY).total_seconds())
            )
        routing.AddDisjunction([index], prize * (2 if stop.locked_at else 1))
    dim.CumulVar(routing.End(0)).SetRange(0, horizon)
    for k in range(1, n):  # the visit must also end in time to get back
        dim.CumulVar(manager.NodeToIndex(k)).SetMax(
            min(dim.CumulVar(manager.NodeToIndex(k)).Max(), horizon - service[k] - secs[k][0])
        )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    solution = routing.SolveWithParameters(params)
    fitted, travel = 0, 0
    if solution:
        index = routing.Start(0)
        while not routing.IsEnd(index):
            following = solution.Value(routing.NextVar(index))
            travel += arc(index, following)
            index = following
            fitted += 0 if routing.IsEnd(index) else 1
    return Outcome(fitted, round(travel / 60, 1), time.monotonic() - started)


def gap(value: float, best: float) -> float:
    return 100.0 * (value - best) / best if best else 0.0


def bench_home(
    solvers: dict[str, Callable[..., Outcome]], limit: float, long: float, sizes: list[int]
) -> None:
    print(f"\nHome visits: default solve ({limit:g} s limit) against a long solve ({long:g} s)")
    print(f"{'visits':>6} {'solver':<8} {'fitted':>6} {'travel min':>10} {'gap %':>6} "
          f"{'time s':>7} | {'long: fitted':>12} {'travel min':>10} {'time s':>7}")  # fmt: skip
    for count in sizes:
        stops, end = home_day(count)
        longs = {name: run(stops, end, long, 10**9) for name, run in solvers.items()}
        best_fit = max(o.fitted for o in longs.values())
        best = min(o.travel_min for o in longs.values() if o.fitted == best_fit)
        for name, run in solvers.items():
            quick = run(stops, end, limit, None)
            ref = longs[name]
            note = "" if quick.fitted == best_fit else f"  ({best_fit - quick.fitted} fewer)"
            shown = f"{gap(quick.travel_min, best):>6.2f}" if not note else f"{'-':>6}"
            print(
                f"{count:>6} {name:<8} {quick.fitted:>6} {quick.travel_min:>10.1f} "
                f"{shown} {quick.seconds:>7.2f} | "
                f"{ref.fitted:>12} {ref.travel_min:>10.1f} {ref.seconds:>7.1f}{note}",
                flush=True,
            )


def read_solomon(path: Path) -> tuple[int, int, list[tuple[float, ...]]]:
    vehicles = capacity = 0
    nodes: list[tuple[float, ...]] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts) and not vehicles:
            vehicles, capacity = int(parts[0]), int(parts[1])
        elif len(parts) == 7 and parts[0].isdigit():
            nodes.append(tuple(float(p) for p in parts))
    return vehicles, capacity, nodes


def route_lengths(routes: list[list[int]], nodes: list[tuple[float, ...]]) -> tuple[float, float]:
    """Real-valued distance, and the distance with each arc truncated to one decimal."""
    real = trunc = 0.0
    for route in routes:
        path = [0, *route, 0]
        for a, b in itertools.pairwise(path):
            d = math.dist(nodes[a][1:3], nodes[b][1:3])
            real += d
            trunc += math.floor(d * 10) / 10
    return real, trunc


SCALE = 1000  # integer arcs in thousandths
Solved = tuple[list[list[int]], bool]  # routes (customer numbers), feasible


def solomon_pyvrp(
    vehicles: int, capacity: int, nodes: list[tuple[float, ...]], limit: float
) -> Solved:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    model = Model()
    locs = [model.add_location(x=node[1], y=node[2]) for node in nodes]
    depot = model.add_depot(locs[0], tw_early=0, tw_late=round(nodes[0][5] * SCALE))
    model.add_vehicle_type(
        num_available=vehicles, capacity=[capacity], start_depot=depot, end_depot=depot,
        tw_early=0, tw_late=round(nodes[0][5] * SCALE),
    )  # fmt: skip
    for node, loc in zip(nodes[1:], locs[1:], strict=True):
        model.add_client(
            loc, delivery=[int(node[3])], service_duration=round(node[6] * SCALE),
            tw_early=round(node[4] * SCALE), tw_late=round(node[5] * SCALE),
        )  # fmt: skip
    for a, la in zip(nodes, locs, strict=True):
        for b, lb in zip(nodes, locs, strict=True):
            d = round(math.dist(a[1:3], b[1:3]) * SCALE)
            model.add_edge(la, lb, distance=d, duration=d)
    result = model.solve(stop=MaxRuntime(limit), seed=1, display=False, collect_stats=False)
    routes = [
        [a.idx + 1 for a in route.schedule() if a.is_client()] for route in result.best.routes()
    ]
    return routes, result.best.is_feasible()


def solomon_ortools(
    vehicles: int, capacity: int, nodes: list[tuple[float, ...]], limit: float
) -> Solved:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(nodes)
    dist = [[round(math.dist(a[1:3], b[1:3]) * SCALE) for b in nodes] for a in nodes]
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def step(i: int, j: int) -> int:
        a = manager.IndexToNode(i)
        return dist[a][manager.IndexToNode(j)] + round(nodes[a][6] * SCALE)

    def demand(i: int) -> int:
        return int(nodes[manager.IndexToNode(i)][3])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    horizon = round(nodes[0][5] * SCALE)
    routing.AddDimension(routing.RegisterTransitCallback(step), horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for k in range(1, n):
        dim.CumulVar(manager.NodeToIndex(k)).SetRange(
            round(nodes[k][4] * SCALE), round(nodes[k][5] * SCALE)
        )
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand), 0, [capacity] * vehicles, True, "load"
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    solution = routing.SolveWithParameters(params)
    routes = []
    for v in range(vehicles):
        index, route = routing.Start(v), []
        while not routing.IsEnd(index):
            if index != routing.Start(v):
                route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes, solution is not None


def bench_solomon(solvers: dict[str, Callable[..., Solved]], limit: float) -> bool:
    folder = Path(os.environ.get("PALLIO_ROUTING_DATA", ROOT.parent / "shared/data/routing"))
    if not all((folder / f"{name}.txt").is_file() for name in SOLOMON):
        print(
            f"\nSolomon instances not found: expected C101.txt, R101.txt and RC101.txt in "
            f"{folder}. Set PALLIO_ROUTING_DATA to the folder that holds them."
        )
        return False
    print(f"\nSolomon instances, {limit:g} s each (distance minimised, vehicles free)")
    print(f"{'instance':<8} {'solver':<8} {'distance':>9} {'optimal':>8} {'gap %':>6} "
          f"{'1-dec. trunc.':>13} {'gap %':>6} {'vehicles':>8} {'time s':>7}")  # fmt: skip
    for name, optimal in SOLOMON.items():
        vehicles, capacity, nodes = read_solomon(folder / f"{name}.txt")
        for solver, run in solvers.items():
            started = time.monotonic()
            routes, feasible = run(vehicles, capacity, nodes, limit)
            seconds = time.monotonic() - started
            served = sorted(k for route in routes for k in route)
            assert feasible and served == list(range(1, len(nodes))), (name, solver)
            real, trunc = route_lengths(routes, nodes)
            print(
                f"{name:<8} {solver:<8} {real:>9.2f} {optimal:>8.1f} {gap(real, optimal):>6.2f} "
                f"{trunc:>13.1f} {gap(trunc, optimal):>6.2f} {len(routes):>8} {seconds:>7.1f}",
                flush=True,
            )
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=3.0, help="the day plan's time limit (s)")
    parser.add_argument("--long", type=float, default=60.0, help="the long solve (s)")
    parser.add_argument("--solomon", type=float, default=30.0, help="seconds per instance")
    parser.add_argument("--compare", action="store_true", help="OR-Tools beside PyVRP")
    parser.add_argument("--only", choices=["home", "solomon"], help="run one part")
    parser.add_argument("--sizes", default="8,12,20,40", help="home visits per day, e.g. 40")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    home: dict[str, Callable[..., Outcome]] = {"pyvrp": with_pyvrp}
    solomon: dict[str, Callable[..., Solved]] = {"pyvrp": solomon_pyvrp}
    if args.compare:
        try:
            import ortools  # noqa: F401
        except ImportError:
            print("OR-Tools is not installed: comparing nothing (uv run --with ortools ...).")
        else:
            home["ortools"] = with_ortools
            solomon["ortools"] = solomon_ortools
    if args.only != "solomon":
        bench_home(home, args.limit, args.long, [int(n) for n in args.sizes.split(",")])
    if args.only != "home":
        bench_solomon(solomon, args.solomon)
    load = os.getloadavg()
    print(f"\nLoad average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
