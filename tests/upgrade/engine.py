"""What the Pulumi engine does with the URNs and aliases a program registers, for programs run
under the mocks, which do neither as the engine does (pulumi/pulumi, pkg/resource/deploy):

- `Deployment.generateURN`: a resource's URN holds its parent's whole qualified type, then its
  own; the root stack's type is left out. (The SDK's MockMonitor keeps only the parent's last
  type, and the stack's.)
- `stepGenerator.generateAliases`, `collapseAliasToUrn`, `inheritedChildAlias`: an alias spec
  becomes a URN (its name, type and parent defaulting to the resource's; `noParent` or the root
  stack: none); a resource whose parent took over an old URN also gets, for itself and for each of
  its own aliases, the URN under that old parent, its name's parent prefix replaced by the old
  parent's name. The old state is looked up by the URN first, then by each alias in turn; an old
  URN two resources claim is an error.

The Pulumi docs say the same in words ("Resource option: aliases"): "Aliases are implicitly
inherited from a parent so that if a parent is moved (new name, new type, etc.) all children will
also be aliased appropriately ... updating the child name prefix if the name starts with the
parent name."
"""

ROOT_STACK = "pulumi:pulumi:Stack"


def urn(stack: str, project: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{qualified_type}::{name}"


def qualified_type(some_urn: str) -> str:
    return some_urn.split("::")[2]


def resource_type(some_urn: str) -> str:
    return qualified_type(some_urn).split("$")[-1]


def name_of(some_urn: str) -> str:
    return some_urn.split("::", 3)[3]


def engine_urns(resources, stack: str, project: str) -> dict[str, str]:
    """The mocks' URN of each resource (recorded with its type, name and the mocks' URN of its
    parent, parents first) -> the URN the engine gives it."""
    found: dict[str, str] = {}
    for resource in resources:
        parent = found.get(resource.parent, "")  # "" for the root stack
        qualified = f"{qualified_type(parent)}${resource.type}" if parent else resource.type
        found[resource.urn] = urn(stack, project, qualified, resource.name)
    return found


def take_over(resources, olds: set[str], stack: str, project: str, follow_aliases: bool = True) -> dict[str, str]:
    """Old URN -> the engine's URN of the resource that takes it over."""
    engine = engine_urns(resources, stack, project)
    matched: dict[str, str] = {}  # a resource's URN -> the old URN it took over under another
    taken: dict[str, str] = {}
    for resource in resources:
        new, parent = engine[resource.urn], engine.get(resource.parent, "")
        candidates = [new] + (_aliases(resource, parent, matched, stack, project) if follow_aliases else [])
        for candidate in candidates:
            if candidate in olds:
                if candidate in taken:
                    raise AssertionError(f"{candidate} is claimed by {taken[candidate]} and {new}")
                taken[candidate] = new
                if candidate != new:
                    matched[new] = candidate
                break
    return taken


def _aliases(resource, parent: str, matched: dict[str, str], stack: str, project: str) -> list[str]:
    own = []
    for spec in resource.aliases:
        if "urn" in spec:
            own.append(spec["urn"])
            continue
        alias_parent = matched.get(spec["parentUrn"], spec["parentUrn"]) if spec["parentUrn"] else parent
        if spec["noParent"] or not alias_parent or qualified_type(alias_parent) == ROOT_STACK:
            alias_parent = ""
        alias_type = spec["type"] or resource.type
        qualified = f"{qualified_type(alias_parent)}${alias_type}" if alias_parent else alias_type
        own.append(urn(stack, project, qualified, spec["name"] or resource.name))
    found = list(own)
    if parent in matched:
        parent_alias, parent_name = matched[parent], name_of(parent)
        for child_type, child_name in [(resource.type, resource.name)] + [(resource_type(a), name_of(a)) for a in own]:
            if child_name.startswith(parent_name):
                child_name = name_of(parent_alias) + child_name[len(parent_name) :]
            found.append(urn(stack, project, f"{qualified_type(parent_alias)}${child_type}", child_name))
    return found
