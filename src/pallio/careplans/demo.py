"""Demo care plans for `make run`: every enrolled demo patient gets a plan with problems
across the domains, goals in the patient's words (some from their goals-of-care
conversation, some due or overdue for review), interventions owned by disciplines, tasks
for people and for discipline lists, and a few progress reviews.

The rows are written in bulk (with their history rows) for speed, like the demo's
patients and referrals; one audit event records what was generated.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simple_history.utils import bulk_create_with_history

from pallio.accounts.models import User
from pallio.acp.models import GoalsOfCareConversation
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.catalog import CatalogProblem, problem_catalog
from pallio.careplans.models import (
    CarePlan,
    Goal,
    GoalOutcome,
    GoalReview,
    Intervention,
    Problem,
    Task,
    TaskKind,
)
from pallio.careplans.services import tasks_bulk_load
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.programs.demo_builder import _Batch, _BuilderBase

# What a patient might say, the team's target, the intervention and its owner, by problem.
PLAN_LINES: dict[str, tuple[str, str, str, str]] = {
    "22253000": (
        "I want to sleep through the night without pain.",
        "Pain 3 or less on most days",
        "Adjust the long-acting opioid and review breakthrough doses",
        "physician",
    ),
    "267036007": (
        "I want to walk to the mailbox without stopping.",
        "Breathlessness 4 or less when walking 50 metres",
        "Teach breathing techniques and arrange a fan and oxygen review",
        "nurse",
    ),
    "422587007": (
        "I'd like to enjoy a meal with my family again.",
        "No vomiting and nausea 3 or less for a week",
        "Review antiemetics and the causes of nausea",
        "nurse_practitioner",
    ),
    "14760008": (
        "I want to feel comfortable in my stomach.",
        "Bowels open at least every 3 days",
        "Start a bowel regimen with the opioid",
        "nurse",
    ),
    "84229001": (
        "I want enough energy to see my grandchildren on Sundays.",
        "Up and dressed by noon 5 days a week",
        "Plan the day around rest; review medicines that sedate",
        "nurse",
    ),
    "64379006": (
        "I want food to taste good again.",
        "Eating two small meals a day",
        "Dietitian visit: small frequent meals and supplements",
        "dietitian",
    ),
    "48694002": (
        "I don't want to feel panicky every evening.",
        "Anxiety 3 or less on most evenings",
        "Counselling visits and a calming routine with the family",
        "social_worker",
    ),
    "366979004": (
        "I want to feel like myself again.",
        "Low mood score improving over a month",
        "Screen for depression and offer counselling",
        "social_worker",
    ),
    "SOC-CAREGIVER": (
        "My wife needs a break; she is worn out.",
        "Respite arranged at least once a week",
        "Arrange respite care and a caregiver support group",
        "social_worker",
    ),
    "SOC-FINANCE": (
        "I'm worried about the bills piling up.",
        "Benefits application submitted",
        "Help with the disability and insurance forms",
        "social_worker",
    ),
    "SOC-TRANSPORT": (
        "I need a way to get to my oncology visits.",
        "Transport booked for every appointment",
        "Book transport and align visits with oncology days",
        "care_coordinator",
    ),
    "SPI-DISTRESS": (
        "I keep asking why this is happening to me.",
        "Says they feel more at peace",
        "Chaplain visits to talk about meaning and hope",
        "chaplain",
    ),
    "EOL-PLACE": (
        "When the time comes, I want to be at home.",
        "Home set up with a bed and night support",
        "Arrange equipment and a night rota; talk about hospice",
        "nurse_navigator",
    ),
    "ETH-DIRECTIVE": (
        "I want my son to speak for me if I can't.",
        "Healthcare agent named in writing",
        "Complete the healthcare proxy form with the family",
        "social_worker",
    ),
    "STR-AFTER-HOURS": (
        "I never know who to call at night.",
        "Knows the 24/7 number and has used it when needed",
        "Give the 24/7 number and explain when to call",
        "nurse_navigator",
    ),
}
TASK_TITLES = {
    "physician": "Review pain medicines at the next visit",
    "nurse_practitioner": "Check how the new antiemetic is working",
    "nurse": "Phone to check on symptoms",
    "social_worker": "Call the family about support",
    "chaplain": "Arrange a chaplain visit",
    "dietitian": "Book a dietitian visit",
    "care_coordinator": "Book transport for the next appointment",
    "nurse_navigator": "Follow up on equipment at home",
}
REVIEW_COMMENTS = {
    GoalOutcome.MET: "Reached the target; the patient is pleased.",
    GoalOutcome.PARTLY_MET: "Better on most days; keep going.",
    GoalOutcome.NOT_MET: "No better yet; the team will change the approach.",
    GoalOutcome.NO_LONGER_RELEVANT: "Priorities have changed since the last visit.",
}


def careplans_demo_populate(
    *, program: Any, patients: Sequence[Any], rng: random.Random, today: date
) -> dict[str, int]:
    """Give each enrolled patient of `patients` a care plan. Returns counts by kind."""
    staff: dict[str, list[User]] = {}
    for user in User.objects.filter(program=program, is_active=True, role="clinician").order_by(
        "pk"
    ):
        staff.setdefault(user.discipline, []).append(user)
    authors = staff.get("physician") or staff.get("nurse") or []
    if not authors:
        return {}
    episodes = {
        e.patient_id: e
        for e in EpisodeOfCare.objects.filter(
            patient__in=list(patients), status="active", care_plan__isnull=True
        ).order_by("start")
    }
    conversations: dict[Any, GoalsOfCareConversation] = {}
    for conversation in GoalsOfCareConversation.objects.filter(
        patient_id__in=list(episodes), status="signed", entered_in_error=False
    ).order_by("held_at"):
        conversations[conversation.patient_id] = conversation  # the latest wins
    coded = [p for p in problem_catalog() if p.code in PLAN_LINES]
    physical = [p for p in coded if p.domain == "physical"]
    others = [p for p in coded if p.domain != "physical"]
    zone = ZoneInfo(program.timezone)
    now = clock.now()
    review_days = program.setting("care_plan_review_days")

    def new_id() -> uuid.UUID:
        # From the seeded generator, so the same seed gives the same ids.
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def moment(days_ago: int) -> datetime:
        return min(now, datetime.combine(today - timedelta(days=days_ago), time(11, 0), zone))

    plans: list[CarePlan] = []
    problems: list[Problem] = []
    goals: list[Goal] = []
    interventions: list[Intervention] = []
    tasks: list[Task] = []
    reviews: list[GoalReview] = []
    for patient in patients:
        episode = episodes.get(patient.pk)
        if episode is None:
            continue
        author = rng.choice(authors)
        started = moment(rng.randint(3, 40))
        plan = CarePlan(
            id=new_id(),
            program=program,
            patient=patient,
            episode=episode,
            review_due=today + timedelta(days=rng.randint(-5, review_days)),
            created_at=started,
            updated_at=started,
        )
        plans.append(plan)
        chosen: list[CatalogProblem] = [rng.choice(physical)]
        chosen += rng.sample(others, rng.randint(1, 3))
        if rng.random() < 0.4:
            chosen.append(rng.choice([p for p in physical if p not in chosen]))
        for n, entry in enumerate(chosen):
            words, target, action, discipline = PLAN_LINES[entry.code]
            problem = Problem(
                id=new_id(),
                plan=plan,
                domain=entry.domain,
                code_system=entry.system,
                code=entry.code,
                display=entry.display,
                created_by=author,
                updated_by=author,
                created_at=started,
                updated_at=started,
            )
            problems.append(problem)
            goal = None
            if n < 3:
                overdue = rng.random() < 0.15
                goal = Goal(
                    id=new_id(),
                    plan=plan,
                    problem=problem,
                    patient_words=words,
                    target=target,
                    review_date=today
                    + timedelta(days=-rng.randint(1, 6) if overdue else rng.randint(3, 28)),
                    conversation=conversations.get(patient.pk) if n == 0 else None,
                    created_by=author,
                    updated_by=author,
                    created_at=started,
                    updated_at=started,
                )
                goals.append(goal)
                if rng.random() < 0.3:
                    outcome = rng.choice(
                        [
                            GoalOutcome.PARTLY_MET,
                            GoalOutcome.PARTLY_MET,
                            GoalOutcome.NOT_MET,
                            GoalOutcome.MET,
                        ]
                    )
                    reviewer = rng.choice(staff.get(discipline) or authors)
                    reviews.append(
                        GoalReview(
                            id=new_id(),
                            goal=goal,
                            outcome=outcome,
                            comment=REVIEW_COMMENTS[outcome],
                            reviewed_by=reviewer,
                            reviewed_at=moment(rng.randint(0, 2)),
                        )
                    )
                    goal.latest_outcome = outcome
                    if outcome == GoalOutcome.MET:
                        goal.status = Goal.Status.CLOSED
            intervention = Intervention(
                id=new_id(),
                plan=plan,
                problem=problem,
                goal=goal,
                description=action,
                discipline=discipline,
                created_by=author,
                updated_by=author,
                created_at=started,
                updated_at=started,
            )
            interventions.append(intervention)
            if rng.random() < 0.6:
                people = staff.get(discipline) or []
                tasks.append(
                    Task(
                        id=new_id(),
                        program=program,
                        patient=patient,
                        episode=episode,
                        kind=TaskKind.CARE_PLAN,
                        title=TASK_TITLES[discipline],
                        discipline=discipline,
                        assigned_to=rng.choice(people) if people and rng.random() < 0.6 else None,
                        due=today + timedelta(days=rng.randint(-3, 10)),
                        intervention=intervention,
                        created_by=author,
                        created_at=started,
                        updated_at=started,
                    )
                )
    # Ids are made when the rows are built (UUIDs), so children already point at parents.
    bulk_create_with_history(plans, CarePlan, batch_size=500, default_date=now)
    bulk_create_with_history(problems, Problem, batch_size=500, default_date=now)
    bulk_create_with_history(goals, Goal, batch_size=500, default_date=now)
    bulk_create_with_history(interventions, Intervention, batch_size=500, default_date=now)
    tasks_bulk_load(tasks, batch_size=500, default_date=now)
    GoalReview.objects.bulk_create(reviews, batch_size=500)
    counts = {
        "care_plans": len(plans),
        "problems": len(problems),
        "goals": len(goals),
        "interventions": len(interventions),
        "tasks": len(tasks),
        "goal_reviews": len(reviews),
    }
    audit_record(
        actor=None,
        action=Action.CREATE,
        event="demo.care_plans",
        program=program,
        detail={**counts, "note": "generated demo care plans; their rows carry no audit events"},
    )
    return counts


class TaskDemo(_BuilderBase):
    """The demo program's first tasks of an episode: the first contact (done, or still open
    for recent enrollments) and sometimes a follow-up."""

    def _episode_tasks(
        self,
        batch: _Batch,
        *,
        patient: Any,
        episode: Any,
        referral: Any,
        lead: Any,
        start: datetime,
        first_visit_due: date,
        finished: bool,
    ) -> None:
        rng = self.rng
        start_day = self._local_date(start)
        # The first-contact task: still open for recent enrollments (some of them overdue).
        due = max(min(referral.first_contact_due, first_visit_due), start_day)
        recent = (self.today - start_day).days <= 12 and not finished
        done = not recent or rng.random() < 0.3
        completed = self._later(start, 4, 24 * 4) if done else None
        batch.tasks.append(
            Task(
                id=self._uuid(),
                program=self.program,
                patient=patient,
                episode=episode,
                kind=TaskKind.FIRST_CONTACT,
                title="First contact with the patient and family",
                discipline=lead.discipline if lead else "",
                assigned_to=lead,
                due=due,
                status=Task.Status.DONE if done else Task.Status.OPEN,
                completed_at=completed,
                created_at=start,
                updated_at=completed or start,
                version=2 if done else 1,
            )
        )
        if not finished and rng.random() < 0.6:
            follow_up_due = self.today + timedelta(days=rng.randint(-4, 21))
            batch.tasks.append(
                Task(
                    id=self._uuid(),
                    program=self.program,
                    patient=patient,
                    episode=episode,
                    kind=TaskKind.FOLLOW_UP,
                    title=rng.choice(
                        [
                            "Symptom check by phone",
                            "Family meeting about goals of care",
                            "Review medications with the pharmacist",
                            "Home visit",
                            "Check equipment delivery",
                        ]
                    ),
                    discipline=lead.discipline if lead else "",
                    assigned_to=lead,
                    due=follow_up_due,
                    created_at=self._later(start, 24, 24 * 30),
                    updated_at=start,
                )
            )
