<?xml version="1.0" encoding="utf-8"?>
<!-- The registry and DataLink part of the esap-graphql test archive.

Kept apart from esaptest/q so that each resource is imported on its own
(scripts/setup-dachs.sh): data are produced deterministically by
bin/generate_data.py into data/.
-->
<resource schema="esapreg">
	<meta name="title">ESAP GraphQL registry and DataLink test data</meta>
	<meta name="description">Synthetic LOFAR visibility sets whose ObsCore
		access_url is a DataLink document, their DataLink service, and a cone
		search published to the VO registry, for the esap-graphql tests.</meta>
	<meta name="creationDate">2024-05-01T00:00:00Z</meta>
	<meta name="subject">observational-astronomy</meta>
	<meta name="subject">radio-astronomy</meta>
	<meta name="creator.name">ESAP test suite</meta>
	<meta name="contentLevel">Research</meta>
	<meta name="type">Catalog</meta>
	<meta name="facility">LOFAR</meta>
	<meta name="coverage.waveband">Radio</meta>

	<!-- ================================================ DataLink rows -->

	<table id="linked" onDisk="True" adql="True" namePath="//obscore#ObsCore">
		<meta name="description">Visibility sets (collection esaptest-linked)
			whose access_url is their DataLink document, published to
			ivoa.obscore.</meta>
		<mixin>//obscore#publishObscoreLike</mixin>
		<LOOP listItems="obs_publisher_did obs_id obs_collection obs_title
				obs_creator_did dataproduct_type dataproduct_subtype calib_level
				target_name target_class s_ra s_dec s_fov s_region s_resolution
				s_xel1 s_xel2 s_pixel_scale t_min t_max t_exptime t_resolution
				t_xel em_min em_max em_res_power em_xel em_ucd o_ucd pol_states
				pol_xel facility_name instrument_name access_url access_format
				access_estsize preview">
			<events>
				<column original="\item"/>
			</events>
		</LOOP>
		<index columns="obs_publisher_did"/>
	</table>

	<data id="import_linked">
		<sources>data/linked.csv</sources>
		<csvGrammar enc="utf-8"/>
		<make table="linked">
			<rowmaker idmaps="*">
				<apply name="emptyToNull">
					<code>
						for key, val in list(vars.items()):
							if val=="":
								vars[key] = None
					</code>
				</apply>
				<map key="s_region" nullExpr="''"
					>pgsphere.SPoly.fromDALI([float(v) for v in @s_region.split()])</map>
			</rowmaker>
		</make>
	</data>

	<!-- ================================================== DataLink -->

	<!-- Each linked row's DataLink document: the measurement set (a tar
		file, not actually served), a preview image and an observing log (both
		served from data/links through the static renderer). -->
	<service id="dl" allowed="dlmeta,static">
		<meta name="title">ESAP test DataLink</meta>
		<meta name="description">DataLink documents (the dataset, a preview
			and an observing log) for the ESAP test visibility sets.</meta>
		<property name="staticData">data/links</property>
		<datalinkCore>
			<descriptorGenerator>
				<setup>
					<code>
						class EsapDescriptor(ProductDescriptor):
							def __init__(self, pubDID, number, row):
								ProductDescriptor.__init__(self, pubDID, None,
									None, "application/x-tar")
								self.number = number
								self.row = row
								# no product-table row: no automatic links
								self.suppressAutoLinks = True
					</code>
				</setup>
				<code>
					prefix, _, number = pubDID.partition("?")
					if prefix!="ivo://esap.test/linked" or not number.isdigit():
						return DatalinkFault.NotFoundFault(pubDID,
							"Not a dataset of the ESAP test archive")
					with base.getTableConn() as conn:
						rows = list(conn.queryToDicts(
							"SELECT obs_id, access_estsize FROM esapreg.linked"
							" WHERE obs_publisher_did=%(did)s", {"did": pubDID}))
					if not rows:
						return DatalinkFault.NotFoundFault(pubDID,
							"No dataset %s here"%pubDID)
					return EsapDescriptor(pubDID, int(number), rows[0])
				</code>
			</descriptorGenerator>

			<metaMaker semantics="#this">
				<code>
					yield descriptor.makeLink(
						"http://localhost:8080/esaptest/data/%d.tar"%descriptor.number,
						contentType="application/x-tar",
						contentLength=descriptor.row["access_estsize"]*1024,
						description="The dataset %s (measurement set)"%descriptor.row["obs_id"])
				</code>
			</metaMaker>

			<metaMaker semantics="#preview">
				<code>
					yield descriptor.makeLinkFromFile(
						"data/links/previews/%d.png"%descriptor.number,
						description="Preview image",
						contentType="image/png",
						suppressMissing=True)
				</code>
			</metaMaker>

			<metaMaker semantics="#auxiliary">
				<code>
					yield descriptor.makeLinkFromFile(
						"data/links/logs/%d.txt"%descriptor.number,
						description="Observing log",
						contentType="text/plain",
						suppressMissing=True)
				</code>
			</metaMaker>
		</datalinkCore>
	</service>

	<!-- ============================================ published cone -->

	<!-- A cone search over esaptest.sources published to ivo_managed, so that
		the OAI-PMH interface lists a queryable service of this resource. -->
	<service id="cone" allowed="scs.xml,form">
		<meta name="title">ESAP test cone search (registered)</meta>
		<meta name="shortName">esapreg cone</meta>
		<meta name="description">Simple Cone Search over the ESAP test source
			catalogue (esaptest.sources), registered in the VO registry.</meta>
		<meta name="testQuery.ra">150.0</meta>
		<meta name="testQuery.dec">2.0</meta>
		<meta name="testQuery.sr">0.01</meta>
		<dbCore queriedTable="esaptest/q#sources">
			<FEED source="//scs#coreDescs"/>
		</dbCore>
		<publish render="scs.xml" sets="ivo_managed,local"/>
	</service>
</resource>
