/**
 * azure.json, cloud-provider-azure's configuration file (its `--cloud-config`), as documented for a
 * user-assigned managed identity: the controller manager signs in with the control-plane nodes'
 * identity through instance metadata, so the file holds names and ids, never a secret.
 *
 * No `loadBalancerName`: the controller manager names its Service load balancers after the cluster
 * (`--cluster-name`, the cluster id; `<id>-internal` for internal ones), while the API load balancer
 * is `api` or `strata-<id>-api` (load-balancer.ts), so the two never collide.
 */
export interface AzureCloudConfigInput {
  readonly tenantId: string;
  readonly subscriptionId: string;
  /** The cluster's group: where the controller manager finds the VMs and makes Service load balancers. */
  readonly resourceGroup: string;
  readonly location: string;
  readonly vnet: { readonly name: string; readonly resourceGroup: string };
  /** The subnet internal Service load balancers take their frontends from. */
  readonly subnetName: string;
  /** The workers' NSG: Service rules go there (the nodes' NSGs sit on their NICs). */
  readonly securityGroupName: string;
  /** The subnet's route table, when it has one. */
  readonly routeTable?: { readonly name: string; readonly resourceGroup: string };
  /** The client id of the control-plane identity the controller manager runs with. */
  readonly identityClientId: string;
}

export type AzureCloudConfig = Record<string, string | number | boolean>;

export function azureCloudConfig(i: AzureCloudConfigInput): AzureCloudConfig {
  return {
    cloud: 'AzurePublicCloud',
    tenantId: i.tenantId,
    subscriptionId: i.subscriptionId,
    resourceGroup: i.resourceGroup,
    location: i.location,
    // Plain VMs, not scale sets: the controller manager's default is vmss.
    vmType: 'standard',
    vnetName: i.vnet.name,
    vnetResourceGroup: i.vnet.resourceGroup,
    subnetName: i.subnetName,
    securityGroupName: i.securityGroupName,
    securityGroupResourceGroup: i.resourceGroup,
    ...(i.routeTable ? { routeTableName: i.routeTable.name, routeTableResourceGroup: i.routeTable.resourceGroup } : {}),
    // Its default is basic; the cluster's load balancers and public IPs are Standard, and the SKUs do not mix.
    loadBalancerSku: 'standard',
    useManagedIdentityExtension: true,
    userAssignedIdentityID: i.identityClientId,
    useInstanceMetadata: true,
  };
}
